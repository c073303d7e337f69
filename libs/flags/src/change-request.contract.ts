// Change requests as the admin API (/api/v1/change-requests) answers them. Browser-safe (types and
// `as const` lists only): the admin UI imports them with `import type`.
import type { EnvironmentConfig } from '@switchyard/core';

export const CHANGE_REQUEST_STATES = ['pending', 'applied', 'rejected', 'withdrawn', 'stale'] as const;
export type ChangeRequestState = (typeof CHANGE_REQUEST_STATES)[number];

/** What applying the request writes: exactly this, against `baseVersion`, or nothing. */
export type ChangeOperation =
  /** One environment's targeting, as the full configuration it will have (rule ids and salts included). */
  | { kind: 'environment'; environment: string; config: Omit<EnvironmentConfig, 'version'> }
  /** The flag's definition (variants, archiving): touches every environment. */
  | { kind: 'definition'; input: Record<string, unknown> }
  | { kind: 'restore'; version: number; environment?: string }
  | { kind: 'segment'; input: Record<string, unknown> };

export interface ChangeRequestView {
  id: string;
  target: { kind: 'flag' | 'segment'; key: string };
  /** The approval environments the change touches. */
  environments: string[];
  operation: ChangeOperation;
  /** The flag's (or segment's) version the change was made against; applying needs it to be current. */
  baseVersion: number;
  /** The touched part before and after (an environment's config, the flag's definition, the segment). */
  before: unknown;
  after: unknown;
  /** The change in plain sentences (sdk/core describe-change). */
  summary: string[];
  state: ChangeRequestState;
  author: string;
  comment: string | null;
  reviewer: string | null;
  reviewComment: string | null;
  /** The version applying it wrote. */
  appliedVersion: number | null;
  createdAt: string;
  decidedAt: string | null;
}

/** A write to an approval environment answers 202 with this instead of the written resource. */
export interface PendingChange {
  changeRequest: ChangeRequestView;
}
