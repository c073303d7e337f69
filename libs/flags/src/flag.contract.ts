// The flags, segments, environments and usage views of the admin API (/api/v1), as they go on the
// wire. Browser-safe (types only, engine types from @switchyard/core): the admin UI imports them
// with `import type`, the server builds them in flags.repository and usage.service.
import type { Condition, EnvironmentConfig, FlagType } from '@switchyard/core';

export interface EnvironmentView {
  key: string;
  name: string;
  requiresConfirmation: boolean;
  /** Changes to this environment must carry a comment (X-Switchyard-Comment). */
  requiresComment: boolean;
  /** Writes to flags here (and to segments its flags use) become change requests another person approves. */
  requireApproval: boolean;
  /** Turning a flag off here skips approval (an emergency kill switch); the audit marks it. */
  killSwitchSkipsApproval: boolean;
  version: number;
}

export interface FlagEnvironmentView extends EnvironmentConfig {
  updatedAt: string;
}

export interface FlagView {
  key: string;
  name: string;
  description: string;
  tags: string[];
  /** Offered to browsers whose client token filters on "flags marked client-side". Not sent to SDKs. */
  clientSide: boolean;
  owner: string | null;
  type: FlagType;
  variants: Record<string, unknown>;
  /** What a variant means, by variant name (only variants that have one). Not sent to SDKs. */
  variantDescriptions: Record<string, string>;
  archived: boolean;
  createdAt: string;
  updatedAt: string;
  /** Bumped by every change to the flag in any environment; the ETag / If-Match value. */
  version: number;
  environments: Record<string, FlagEnvironmentView>;
}

export interface FlagSummary extends FlagView {
  stale?: { reason: 'not-evaluated' | 'fully-rolled-out'; since: string };
}

export interface SegmentView {
  key: string;
  name: string;
  description: string;
  conditions: Condition[];
  version: number;
  createdAt: string;
  updatedAt: string;
}

export interface FlagVersionView {
  version: number;
  actor: string;
  createdAt: string;
  comment: string | null;
  /** The flag as that version stored it (versions older than `clientSide` / `variantDescriptions` lack those two: readers default them). */
  definition: FlagView;
}

export interface FlagUsageView {
  environment: string;
  variant: string;
  evaluations: number;
  lastEvaluatedAt: string;
}

export interface UsageBucketView {
  hour: string;
  environment: string;
  variant: string;
  evaluations: number;
}

/** GET /api/v1/flags/{key}/usage. */
export interface FlagUsage {
  totals: FlagUsageView[];
  hourly: UsageBucketView[];
}
