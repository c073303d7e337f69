import type { Segment, SnapshotFlag } from '@switchyard/core';

/**
 * What every replica and every SDK hears when an environment changes. `previousVersion` lets a
 * listener detect a gap (its version ≠ previousVersion) and refetch the whole snapshot; `full`
 * says "refetch" outright. `null` in flags/segments means deleted or archived.
 */
export interface ChangeMessage {
  environment: string;
  version: number;
  previousVersion?: number;
  flags?: Record<string, SnapshotFlag | null>;
  segments?: Record<string, Segment | null>;
  full?: boolean;
  /** Who made the change, when known. */
  actor?: string;
}

export type ChangeListener = (message: ChangeMessage) => void;

/**
 * The central hot store: per environment, the current snapshot (as JSON) and its version, plus a
 * change channel. PostgreSQL stays the record; this is a projection that can always be rebuilt.
 */
export abstract class FeatureStore {
  abstract readonly kind: 'redis' | 'memory';

  /**
   * Stores `snapshotJson` at `version` and announces `message` — only if the stored version is
   * older (compare-and-set), so a late publisher can never roll an environment back.
   * Resolves false when a newer version was already there; rejects when the store is unreachable.
   */
  abstract publish(environment: string, version: number, snapshotJson: string, message: ChangeMessage): Promise<boolean>;

  /** The stored snapshot JSON, or undefined when the store has none for the environment. */
  abstract read(environment: string): Promise<string | undefined>;

  abstract readVersion(environment: string): Promise<number | undefined>;

  abstract subscribe(listener: ChangeListener): void;

  /** Called when the store comes back after an outage, so callers can repair missed changes. */
  abstract onReconnect(listener: () => void): void;

  abstract healthy(): boolean;
}
