// Scheduled flag changes as the admin API (/api/v1/schedules) answers them. Browser-safe (types and
// `as const` lists only): the admin UI imports them with `import type`.

export const SCHEDULE_STATES = ['awaiting-approval', 'pending', 'firing', 'fired', 'failed', 'cancelled'] as const;
/**
 * `awaiting-approval`: made for an environment that requires approval, waiting for another person.
 * `pending`: will fire at `runAt`. `firing`: a replica is applying it right now. The rest are final.
 */
export type ScheduleState = (typeof SCHEDULE_STATES)[number];

export interface ScheduleView {
  id: string;
  flag: string;
  environment: string;
  /** A patch of the environment's configuration, the same shape as PATCH /flags/:key/environments/:env. */
  change: Record<string, unknown>;
  runAt: string;
  state: ScheduleState;
  author: string;
  comment: string | null;
  approvedBy: string | null;
  /** The flag version the approver reviewed; firing fails if the flag is no longer at it. */
  approvedVersion: number | null;
  firedAt: string | null;
  /** How long after `runAt` it fired (a replica restarted across the time fires it late, and says so). */
  lateMs: number | null;
  appliedVersion: number | null;
  /** Why it failed (the flag moved since approval, the patch no longer fits the flag, …). */
  failure: string | null;
  cancelledBy: string | null;
  createdAt: string;
  closedAt: string | null;
}
