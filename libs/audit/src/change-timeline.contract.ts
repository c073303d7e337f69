// The change timeline as GET /api/v1/changes answers it (kinds, one change, a page). Browser-safe
// (types and `as const` lists only): the admin UI and the CLI read the same shape.
import type { WithActorName } from './audit.contract';

export const CHANGE_KINDS = [
  'flag',
  'segment',
  'environment',
  'release',
  'rollout',
  'dark-launch',
  'flag-release',
  'approval',
  'abort',
  'verdict',
  'guardrail',
  'rollback',
  'mirror-route',
  'mirror-verdict',
  'policy',
  'access',
  'other',
] as const;
export type ChangeKind = (typeof CHANGE_KINDS)[number];

/** One change on the timeline: an audit event read for people ("what changed, where, by whom, why"). */
export interface Change {
  id: string;
  at: string;
  actor: string;
  kind: ChangeKind;
  action: string;
  service: string | null;
  environment: string | null;
  target: string;
  summary: string[];
  before: unknown;
  after: unknown;
  /** A person's why (change comment, approval or rollback reason). */
  comment: string | null;
  /** The system's why (a verdict's reason, the error that failed a step). */
  reason: string | null;
  /** UI path of the flag, release or report the change came from. */
  link: string | null;
}

/** What the changes service returns; the API adds each actor's name (ChangesPageView). */
export interface ChangesPage {
  items: Change[];
  nextCursor: string | null;
}

/** GET /api/v1/changes. */
export interface ChangesPageView {
  items: Array<WithActorName<Change>>;
  nextCursor: string | null;
}
