import { ApiError } from '../api/api-client';
import type { ErrorDetail } from '../../../../libs/errors/src/error-body.contract';
import type { EnvironmentPolicy, ReleasePolicy } from '../../../../libs/deploy/src/policy/release-policy.contract';

/** One environment as the form edits it: the policy keys environments by name, the form lists them in rows. */
export interface EnvironmentRow extends EnvironmentPolicy {
  name: string;
}

export interface PolicyDraft {
  environments: EnvironmentRow[];
  repositories: string[];
}

export const NEW_ENVIRONMENT: EnvironmentRow = { name: '', namespace: '', approval: 'none', fourEyes: true };

export function draftOf(policy: ReleasePolicy | null): PolicyDraft {
  if (!policy) return { environments: [{ ...NEW_ENVIRONMENT }], repositories: [''] };
  return {
    environments: Object.entries(policy.environments).map(([name, environment]) => ({ name, ...environment })),
    repositories: [...policy.repositories],
  };
}

/** The PUT body. Nothing is dropped, so the server's `repositories[i]` still names the form's row i. */
export function policyOf(draft: PolicyDraft): ReleasePolicy {
  return {
    environments: Object.fromEntries(
      draft.environments.map((e) => [e.name.trim(), { namespace: e.namespace.trim(), approval: e.approval, fourEyes: e.fourEyes }]),
    ),
    repositories: draft.repositories.map((r) => r.trim()),
  };
}

/** Where the server reports each field of an environment row (`environments.<name>.namespace`). */
export function environmentPath(row: EnvironmentRow, field?: keyof EnvironmentPolicy): string {
  return `environments.${row.name.trim()}${field ? `.${field}` : ''}`;
}

/** What the server cannot see: two rows with one name would collapse into one key of the body. */
export function draftProblems(draft: PolicyDraft): ErrorDetail[] {
  const counts = new Map<string, number>();
  for (const row of draft.environments) counts.set(row.name.trim(), (counts.get(row.name.trim()) ?? 0) + 1);
  return [...counts]
    .filter(([, count]) => count > 1)
    .map(([name]) => ({ path: `environments.${name}`, problem: name ? 'is listed more than once' : 'each environment needs a name' }));
}

/** Problems reported for exactly this path (a row's name field must not collect its namespace's). */
export function problemsExactlyAt(details: readonly ErrorDetail[], path: string): string[] {
  return details.filter((d) => d.path === path).map((d) => d.problem);
}

/** Every path the form shows next to a field; the page lists the other problems above the form. */
export function fieldPaths(draft: PolicyDraft): string[] {
  return [
    'environments',
    'repositories',
    ...draft.environments.flatMap((row) => [environmentPath(row), ...(['namespace', 'approval', 'fourEyes'] as const).map((f) => environmentPath(row, f))]),
    ...draft.repositories.map((_, i) => `repositories[${i}]`),
  ];
}

/** The policy a refused rollout proposes (409 POLICY_REQUIRED), or undefined for any other error. */
export function proposedPolicyOf(error: unknown): ReleasePolicy | null | undefined {
  if (!(error instanceof ApiError) || error.code !== 'POLICY_REQUIRED') return undefined;
  return (error.extra.proposedPolicy as ReleasePolicy | null | undefined) ?? null;
}
