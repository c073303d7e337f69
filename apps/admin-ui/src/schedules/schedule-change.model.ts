/** What the Schedule form can ask for, as the environment patch the API takes. */
export type ScheduledAction = { kind: 'on' } | { kind: 'off' } | { kind: 'rollout'; variant: string; percent: number; rest: string };

/** Rollout weights are in thousandths of a percent (100 000 in all), as the targeting editor sends them. */
const WHOLE = 100_000;

export function patchOf(action: ScheduledAction): Record<string, unknown> {
  switch (action.kind) {
    case 'on':
      return { enabled: true };
    case 'off':
      return { enabled: false };
    case 'rollout': {
      const weight = Math.round(Math.min(100, Math.max(0, action.percent)) * 1000);
      if (action.variant === action.rest || weight === WHOLE) return { enabled: true, defaultServe: { variant: action.variant } };
      if (weight === 0) return { enabled: true, defaultServe: { variant: action.rest } };
      return {
        enabled: true,
        defaultServe: {
          rollout: [
            { variant: action.variant, weight },
            { variant: action.rest, weight: WHOLE - weight },
          ],
        },
      };
    }
  }
}

/** A schedule's change in a few words, for the list. */
export function describeChange(change: Record<string, unknown>): string {
  const parts: string[] = [];
  if (change.enabled === true) parts.push('turn on');
  if (change.enabled === false) parts.push('turn off');
  const serve = change.defaultServe as { variant?: string; rollout?: Array<{ variant: string; weight: number }> } | undefined;
  if (serve?.variant) parts.push(`serve ${serve.variant}`);
  if (serve?.rollout) parts.push(`roll out ${serve.rollout.map((r) => `${r.variant} ${r.weight / 1000} %`).join(' / ')}`);
  if (Array.isArray(change.rules)) parts.push(`set ${change.rules.length} rule${change.rules.length === 1 ? '' : 's'}`);
  if (typeof change.offVariant === 'string') parts.push(`off variant ${change.offVariant}`);
  if (Array.isArray(change.prerequisites)) parts.push(`set ${change.prerequisites.length} prerequisite${change.prerequisites.length === 1 ? '' : 's'}`);
  return parts.join(', ') || 'no change';
}

/** A `datetime-local` value (the person's local time) as the ISO instant the API takes, or undefined when empty or invalid. */
export function instantOf(local: string): string | undefined {
  if (!local) return undefined;
  const date = new Date(local);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}
