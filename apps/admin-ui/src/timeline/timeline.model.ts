import type { Change, ChangeKind } from '../../../../libs/audit/src/change-timeline.contract';
import { membersOf } from '../api/contract-lists';
import { prefixQuery } from '../audit/audit-filters';
import type { TimelineFilters } from '../shell/routes';

const KIND_LABELS: Record<ChangeKind, string> = {
  flag: 'Flag',
  segment: 'Segment',
  environment: 'Environment',
  release: 'Release',
  rollout: 'Rollout step',
  'dark-launch': 'Dark launch',
  'flag-release': 'Flag release',
  approval: 'Approval',
  abort: 'Abort',
  verdict: 'Verdict',
  guardrail: 'Guardrail trip',
  rollback: 'Rollback',
  'mirror-route': 'Mirror route',
  'mirror-verdict': 'Mirror verdict',
  policy: 'Release policy',
  access: 'Access',
  other: 'Other',
};

export const kindLabel = (kind: string): string => KIND_LABELS[kind as ChangeKind] ?? kind;

/** The kinds the filter offers, in the labels' order (the contract's CHANGE_KINDS). */
export const CHANGE_KINDS: readonly ChangeKind[] = membersOf(KIND_LABELS);

/** The look-back choices; the API takes any duration or ISO time, the page offers the common ones. */
export const SINCE_CHOICES: Array<[string, string]> = [
  ['30m', 'Last 30 minutes'],
  ['2h', 'Last 2 hours'],
  ['24h', 'Last 24 hours'],
  ['7d', 'Last 7 days'],
  ['30d', 'Last 30 days'],
];
/** What the page shows when the URL names no window: a day is what people mean by "recently". */
export const DEFAULT_SINCE = '24h';

/** The API query for the URL's filters: an actor typed as "ada" means the person (`user:ada*`). */
export function changesQuery(filters: TimelineFilters, cursor?: string | null): Record<string, string | number | undefined> {
  return {
    environment: filters.environment || undefined,
    service: filters.service?.trim() || undefined,
    kind: filters.kind || undefined,
    actor: prefixQuery(filters.actor ?? '', 'actor'),
    since: filters.since || DEFAULT_SINCE,
    cursor: cursor ?? undefined,
    limit: 50,
  };
}

/** "quotes · production", or whichever of the two the change has. */
export function whereLabel(change: Pick<Change, 'service' | 'environment'>): string {
  return [change.service, change.environment].filter(Boolean).join(' · ') || '—';
}

/** The kinds a person reads as trouble, so the row stands out. */
export function isAlarming(change: Pick<Change, 'kind' | 'action' | 'after'>): boolean {
  if (change.kind === 'guardrail' || change.kind === 'rollback' || change.kind === 'abort') return true;
  if (change.action === 'rollout.failed') return true;
  if (change.kind !== 'verdict') return false;
  const after = (change.after ?? {}) as Record<string, unknown>;
  const verdict = (after.verdict ?? {}) as Record<string, unknown>;
  const outcome = String(after.outcome ?? verdict.outcome ?? after.verdict ?? '').toLowerCase();
  return outcome === 'fail' || outcome === 'failed' || outcome === 'insufficient-data' || outcome === 'inconclusive';
}

/** Day headings ("Today", "Yesterday", "Mon 1 Dec") so a long window reads as a timeline. */
export function dayLabel(at: string, now: Date): string {
  const day = new Date(at);
  const startOf = (d: Date) => new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
  const days = Math.round((startOf(now) - startOf(day)) / 86_400_000);
  if (days === 0) return 'Today';
  if (days === 1) return 'Yesterday';
  return day.toLocaleDateString('en-GB', { weekday: 'short', day: 'numeric', month: 'short' });
}
