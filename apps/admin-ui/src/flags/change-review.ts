import type { ChangeDescription } from '@switchyard/core';
import type { EnvironmentView } from '../../../../libs/flags/src/flag.contract';

/** What the server will ask of a change touching `touched`: confirmations (X-Switchyard-Confirm) and a comment. */
export interface ReviewNeeds {
  /** Environments that need confirmation, sent as X-Switchyard-Confirm after a yes. */
  confirm: string[];
  /** Whether a review dialog must be shown at all. */
  ask: boolean;
  danger: boolean;
  comment: { required: boolean; hint?: string };
}

export function reviewNeeds(environments: readonly EnvironmentView[], touched: readonly string[]): ReviewNeeds {
  const affected = environments.filter((env) => touched.includes(env.key));
  const guarded = affected.filter((env) => env.requiresConfirmation);
  const commenting = affected.filter((env) => env.requiresComment);
  return {
    confirm: guarded.map((env) => env.key),
    ask: guarded.length > 0 || commenting.length > 0,
    danger: guarded.length > 0,
    comment: {
      required: commenting.length > 0,
      hint: commenting.length
        ? `${commenting.map((env) => env.name).join(', ')} asks for a comment on every change; it is kept in history and the audit log.`
        : undefined,
    },
  };
}

/** The environments a described change touches; all of them when the flag's variants or archiving change. */
export function touchedEnvironments(changes: ChangeDescription, everywhere: boolean, environments: readonly EnvironmentView[]): string[] {
  return everywhere ? environments.map((env) => env.key) : changes.environments.map((env) => env.environment);
}
