import type { Condition, EnvironmentConfig, FlagType, Rule, Serve } from '@switchyard/core';

export interface EnvironmentView {
  key: string;
  name: string;
  requiresConfirmation: boolean;
  /** Changes to this environment must carry a comment (X-Switchyard-Comment). */
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
  definition: FlagView;
}

export type StoredConfig = { enabled: boolean; offVariant: string; rules: Rule[]; defaultServe: Serve };
