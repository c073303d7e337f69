/**
 * The timeline's reading of the audit trail: what kind of change an action is, which service it
 * belongs to, where in the UI it came from, and its sentences when the writer gave none. Pure
 * functions over stored rows, so the UI, the CLI and old events all read the same way.
 */

import type { ChangeKind } from './change-timeline.contract';

// The kinds are part of the wire (GET /api/v1/changes?kind=), so they are listed in the contract.
export { CHANGE_KINDS, type ChangeKind } from './change-timeline.contract';

export interface KindRule {
  kind: ChangeKind;
  actions?: string[];
  prefixes?: string[];
}

/**
 * First match wins, so the specific actions come before their family's prefix
 * (`rollout.verdict` is a verdict, every other `rollout.*` a rollout step). kindOfAction reads them
 * here; the changes repository turns the same list into SQL, so the two cannot drift.
 */
export const KIND_RULES: readonly KindRule[] = [
  { kind: 'approval', actions: ['rollout.gate.approved', 'rollout.gate.waiting'] },
  // Four-eyes on flag and segment changes: opened, approved, rejected, withdrawn, stale.
  { kind: 'approval', prefixes: ['change-request.'] },
  { kind: 'abort', actions: ['rollout.aborted', 'rollout.abort.requested'] },
  { kind: 'verdict', actions: ['rollout.verdict', 'rollout.dark-launch.verdict', 'rollout.flag-release.verdict'] },
  { kind: 'guardrail', actions: ['rollout.flag-release.tripped'] },
  { kind: 'rollback', actions: ['rollout.rolled-back', 'environment.rollback.requested', 'environment.rolled-back'] },
  { kind: 'dark-launch', prefixes: ['rollout.dark-launch.'] },
  { kind: 'flag-release', prefixes: ['rollout.flag-release.'] },
  { kind: 'rollout', prefixes: ['rollout.'] },
  { kind: 'policy', prefixes: ['release-policy.'] },
  { kind: 'release', prefixes: ['release.'] },
  { kind: 'flag', prefixes: ['flag.'] },
  { kind: 'segment', prefixes: ['segment.'] },
  { kind: 'environment', prefixes: ['environment.'] },
  { kind: 'mirror-verdict', actions: ['mirror.verdict'], prefixes: ['mirror.verdict.'] },
  { kind: 'mirror-route', prefixes: ['mirror-route.', 'mirror.route.'] },
  { kind: 'access', prefixes: ['token.', 'user.'] },
];

/** Sign-ins are recorded for security review but change nothing; the timeline leaves them out. */
export const NOT_CHANGES_PREFIX = 'session.';

export function kindOfAction(action: string): ChangeKind {
  for (const rule of KIND_RULES) {
    if (rule.actions?.includes(action) || rule.prefixes?.some((prefix) => action.startsWith(prefix))) return rule.kind;
  }
  return 'other';
}

/**
 * The service a row belongs to when the writer did not say: the engine's meta.service, or the
 * target's own naming (`release:<service>/<id>`, `environment:<service>/<env>`, `service:<service>`).
 * A flag environment (`environment:<key>`, no slash) belongs to no service.
 */
export function serviceOfEvent(event: { target: string; meta?: Record<string, unknown> | null }): string | null {
  const fromMeta = event.meta?.service;
  if (typeof fromMeta === 'string' && fromMeta) return fromMeta;
  const [kind, rest] = splitTarget(event.target);
  if ((kind === 'release' || kind === 'environment') && rest.includes('/')) return rest.split('/')[0] || null;
  if (kind === 'service') return rest || null;
  return null;
}

function splitTarget(target: string): [string, string] {
  const colon = target.indexOf(':');
  return colon < 0 ? [target, ''] : [target.slice(0, colon), target.slice(colon + 1)];
}

const record = (value: unknown): Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
const text = (value: unknown): string | undefined => (typeof value === 'string' && value.trim() ? value : undefined);
const query = (params: Record<string, string | null | undefined>) => {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value) search.set(key, value);
  const rendered = search.toString();
  return rendered ? `?${rendered}` : '';
};

export interface ChangeSource {
  action: string;
  target: string;
  environment: string | null;
  before: unknown;
  after: unknown;
  meta: Record<string, unknown>;
  service: string | null;
}

/** A UI path (the admin UI's routes) to the flag, release or report the change came from. */
export function linkOfChange(event: ChangeSource): string | null {
  const after = record(event.after);
  const verdict = record(after.verdict);
  // A dark-launch verdict is best read in its report; the contract puts its UI path on the verdict.
  const report = text(after.reportUrl) ?? text(verdict.reportUrl);
  if (report?.startsWith('/') && !report.startsWith('//')) return report;
  const [kind, rest] = splitTarget(event.target);
  switch (kind) {
    case 'flag':
      return `/flags/${encodeURIComponent(rest)}${query({ environment: event.environment })}`;
    case 'segment':
      return '/segments';
    case 'release':
      return rest.includes('/') ? `/releases/${encodeURIComponent(rest.slice(rest.indexOf('/') + 1))}` : null;
    case 'environment': {
      if (!rest.includes('/')) return '/environments';
      // A rollback names the release it restored; its page shows the rollout that did it.
      const releaseId = text(after.releaseId);
      return releaseId ? `/releases/${encodeURIComponent(releaseId)}` : `/releases${query({ service: event.service ?? rest.split('/')[0] })}`;
    }
    case 'service':
      return `/releases/policy${query({ service: rest })}`;
    case 'mirror-route':
    case 'mirror':
      return `/dark-launch${query({ route: rest })}`;
    case 'token':
      return '/tokens';
    case 'user':
      return '/users';
    default:
      return null;
  }
}

/** The machine's own why (a verdict's reason, a failure), apart from a person's comment. */
export function reasonOfChange(event: Pick<ChangeSource, 'after' | 'meta'>): string | null {
  const after = record(event.after);
  const verdict = record(after.verdict);
  const tripped = record(after.tripped);
  return text(after.reason) ?? text(verdict.reason) ?? text(tripped.reason) ?? text(after.error) ?? text(event.meta.cause) ?? null;
}

/** A person's why: the change comment, or the comment/reason given to approve, abort or roll back. */
export function commentOfChange(event: { comment: string | null; meta: Record<string, unknown> }): string | null {
  return text(event.comment) ?? text(event.meta.comment) ?? text(event.meta.reason) ?? null;
}

const PAST: Record<string, string> = {
  created: 'created',
  updated: 'updated',
  deleted: 'deleted',
  archived: 'archived',
  unarchived: 'unarchived',
  restored: 'restored',
  toggled: 'toggled',
};

/**
 * Sentences for events whose writer gave none (the deploy engine's); a flag or segment change
 * keeps the sentences it was recorded with.
 */
export function describeChangeEvent(event: ChangeSource & { summary: string[] }): string[] {
  if (event.summary.length) return event.summary;
  const after = record(event.after);
  const before = record(event.before);
  const meta = event.meta;
  const where = event.environment ? ` in ${event.environment}` : '';
  const version = text(meta.version) ?? text(after.version);
  const subject = [event.service, version].filter(Boolean).join(' ');
  const reason = reasonOfChange(event);
  const because = reason ? `: ${reason}` : '';
  const [targetKind, targetName] = splitTarget(event.target);
  switch (event.action) {
    case 'rollout.started':
      return [`Rollout of ${subject || event.target} started${Array.isArray(after.steps) ? ` (${after.steps.join(' → ')})` : ''}`];
    case 'rollout.gate.waiting':
      return [
        meta.kind === 'inconclusive'
          ? `Waiting for a person: the ${text(after.step) ?? 'analysis'}${where} was inconclusive`
          : `Waiting for approval to deploy${where}`,
      ];
    case 'rollout.gate.approved':
      return [`Approved ${text(before.step) ?? 'the gate'}${where}`];
    case 'rollout.applied':
      return [`Applied ${Array.isArray(after.objects) ? after.objects.length : 'the'} object(s) of ${subject || event.target}${where}`];
    case 'rollout.deployed':
      return [`${subject || 'The release'} deployed${where}`];
    case 'rollout.promoted':
      return [`${subject || 'The canary'} promoted${where}`];
    case 'rollout.verdict':
      return [`Canary verdict${where}: ${text(after.verdict) ?? 'unknown'}${because}`];
    case 'rollout.dark-launch.started':
      return [`Dark launch of ${subject || event.target} started${where}`];
    case 'rollout.dark-launch.verdict':
      return [`Dark-launch verdict${where}: ${text(after.outcome) ?? text(record(after.verdict).outcome) ?? 'unknown'}${because}`];
    case 'rollout.flag-release.step': {
      const percent = typeof after.percent === 'number' ? `${after.percent} %` : 'the next step';
      const flags = Array.isArray(after.flags) ? after.flags.join(', ') : (text(after.flag) ?? 'the flags');
      return [`${flags} released to ${percent}${where}`];
    }
    case 'rollout.flag-release.tripped':
      return [`Guardrail tripped${where}${text(after.flag) ? ` on ${text(after.flag)}` : ''}; the flag went back to where it was${because}`];
    case 'rollout.flag-release.completed':
      return [`Flag release finished${where}`];
    case 'rollout.failed':
      return [`Rollout of ${subject || event.target} failed${because}`];
    case 'rollout.succeeded':
      return [`Rollout of ${subject || event.target} succeeded`];
    case 'rollout.aborted':
      return [`Rollout aborted${text(after.step) ? ` at ${text(after.step)}` : ''}${where}`];
    case 'rollout.abort.requested':
      return [`Abort requested${where}`];
    case 'rollout.superseded':
      return [`Rollout superseded by a newer one`];
    case 'rollout.rolled-back':
      return [`Rolled back${where}${text(after.restored) ? ` to ${text(after.restored)}` : ''}${because}`];
    case 'environment.rollback.requested':
    case 'environment.rolled-back':
      return [
        `${event.action === 'environment.rolled-back' ? 'Rolled back' : 'Rollback requested'}${where} from ${text(before.version) ?? text(before.image) ?? '?'} to ${text(after.version) ?? text(after.image) ?? '?'}`,
      ];
    default:
      break;
  }
  const verb = PAST[event.action.split('.').pop() ?? ''];
  if (targetKind === 'mirror-route' && verb) return [`Mirror route ${targetName} ${verb}`];
  if (event.action.startsWith('release.')) return [`Release ${subject || targetName}: ${event.action.slice('release.'.length).replace(/\./g, ' ')}${because}`];
  return [`${event.action} on ${event.target}${because}`];
}

const DURATION = /^([1-9]\d{0,6})(s|m|h|d)$/;
const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `30m`, `2h`, `7d` (also `45s`): how far back from `now`; undefined when it is not a duration. */
export function parseLookback(value: string, now: Date): Date | undefined {
  const match = DURATION.exec(value);
  if (!match) return undefined;
  return new Date(now.getTime() - Number(match[1]) * UNIT_MS[match[2]]);
}
