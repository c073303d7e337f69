import type { Snapshot } from '@switchyard/core';
import type { SnapshotSource, SwitchyardError } from './client-events';
import type { SnapshotChange } from './live-snapshot';

/** What a source (stream, poll, Redis) reports to the client that owns it. */
export interface SourceSink {
  /** The version of the data last received from this source in this process, if any. */
  syncedVersion(): number | undefined;
  snapshot(snapshot: Snapshot, from: SnapshotSource): void;
  /** Applies a delta; `false` means it did not follow the current version and a full snapshot is needed. */
  change(change: SnapshotChange, from: SnapshotSource): boolean;
  /** The source is connected and the client's data is current. */
  synced(): void;
  /** The connection was lost; the client keeps its data and the source reconnects by itself. */
  lost(reason: string): void;
  error(error: SwitchyardError): void;
}

/** One way of keeping the flags current: SSE stream, conditional polling or Redis. */
export interface FlagSource {
  start(): void;
  /** Releases every socket and timer; the source never calls its sink afterwards. */
  close(): Promise<void>;
}
