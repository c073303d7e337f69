import type { FlagView } from '@switchyard/flags';

// Checked when a rollout is created (rollouts.service) and used again by the flag-release step;
// it lives beside the rollout so the step handlers depend on the rollout, never the reverse.

/** Why `flag` cannot be released in `environment`, or undefined. */
export function flagProblem(flag: FlagView | undefined, key: string, environment: string): string | undefined {
  if (!flag) return `flag ${key} does not exist`;
  if (flag.archived) return `flag ${key} is archived`;
  if (flag.type !== 'boolean') return `flag ${key} is a ${flag.type} flag; a flag release turns boolean flags on`;
  if (!flag.environments[environment]) return `flag ${key} is not defined in environment ${environment}`;
  if (!booleanVariants(flag)) return `flag ${key} needs one variant serving true and one serving false`;
  return undefined;
}

export function booleanVariants(flag: FlagView): { on: string; off: string } | undefined {
  const entries = Object.entries(flag.variants);
  const on = entries.find(([, value]) => value === true)?.[0];
  const off = entries.find(([, value]) => value === false)?.[0];
  return on && off ? { on, off } : undefined;
}
