// Shapes of the public admin API (/api/v1) as the UI reads them. They mirror the server's views
// (libs/flags flag.types.ts, libs/auth, libs/audit); the engine's own types come from sdk/core.
import type { Condition, EnvironmentConfig, FlagType, Rule, Serve } from '@switchyard/core';

export type { Condition, Rule, Serve, FlagType };

export interface ErrorDetail {
  path: string;
  problem: string;
}

export interface ErrorBody {
  error: { code: string; message: string; details: ErrorDetail[]; requestId: string } & Record<string, unknown>;
}

export type Role = 'admin' | 'editor' | 'viewer' | 'approver';

export interface User {
  id: string;
  email: string;
  name: string;
  role: Role;
  createdAt: string;
  lastLoginAt: string | null;
  disabled: boolean;
}

export interface Session {
  user: User;
  csrfToken: string;
}

export interface EnvironmentView {
  key: string;
  name: string;
  requiresConfirmation: boolean;
  /** Changes here must carry a comment. */
  requiresComment: boolean;
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
  /** Offered to client tokens that filter on "flags marked client-side"; absent in older versions. */
  clientSide?: boolean;
  owner: string | null;
  type: FlagType;
  variants: Record<string, unknown>;
  /** Absent in versions written before descriptions existed. */
  variantDescriptions?: Record<string, string>;
  archived: boolean;
  createdAt: string;
  updatedAt: string;
  version: number;
  environments: Record<string, FlagEnvironmentView>;
}

export interface FlagSummary extends FlagView {
  stale?: { reason: 'not-evaluated' | 'fully-rolled-out'; since: string };
}

export interface FlagVersionView {
  version: number;
  actor: string;
  createdAt: string;
  comment: string | null;
  definition: FlagView;
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

export interface FlagUsage {
  totals: FlagUsageView[];
  hourly: UsageBucketView[];
}

export interface AuditEvent {
  id: string;
  at: string;
  actor: string;
  /** The person's name for `user:<email>` actors the server knows; null for tokens. */
  actorName?: string | null;
  action: string;
  target: string;
  environment: string | null;
  before: unknown;
  after: unknown;
  meta: Record<string, unknown>;
  /** The change in plain sentences, the same words the UI uses. */
  summary: string[];
  comment: string | null;
}

export interface AuditPage {
  items: AuditEvent[];
  nextCursor: string | null;
}

export interface TokenView {
  id: string;
  name: string;
  prefix: string;
  scopes: string[];
  /** Browser origins a client:<environment> token may be used from (none = no browser access). */
  allowedOrigins?: string[];
  /** A client token's flag filter: "client-side", "tag:<tag>" or null (every flag). */
  flagFilter?: string | null;
  createdBy: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

/** The write body of PATCH /api/v1/flags/{key}/environments/{env}. */
export interface EnvironmentConfigPatch {
  enabled?: boolean;
  offVariant?: string;
  rules?: Array<Omit<Rule, 'id'> & { id?: string }>;
  defaultServe?: Serve;
}
