import { Injectable } from '@nestjs/common';
import type { Snapshot, SnapshotFlag } from '@switchyard/core';
import { Database } from '@switchyard/persistence';
import { SnapshotRepository, type SnapshotFlagRow } from './snapshot.repository';

/** Reads one environment's state from the record as a consistent snapshot. */
@Injectable()
export class SnapshotBuilder {
  constructor(
    private readonly db: Database,
    private readonly snapshots: SnapshotRepository,
  ) {}

  async environments(): Promise<Array<{ key: string; version: number }>> {
    const rows = await this.snapshots.environments();
    return rows.map((row) => ({ key: row.key, version: Number(row.version) }));
  }

  /** Undefined when the environment does not exist. One REPEATABLE READ transaction: version and content agree. */
  async build(environment: string): Promise<Snapshot | undefined> {
    return this.db.transaction(async (manager) => {
      await this.snapshots.repeatableRead(manager);
      const env = await this.snapshots.environmentVersion(manager, environment);
      if (env.length === 0) return undefined;
      const flags = await this.snapshots.flags(manager, environment);
      const segments = await this.snapshots.segments(manager);
      const snapshot: Snapshot = { environment, version: Number(env[0].version), flags: {}, segments: {} };
      for (const row of flags) snapshot.flags[row.key] = toSnapshotFlag(row);
      for (const row of segments) snapshot.segments[row.key] = { key: row.key, conditions: row.conditions };
      return snapshot;
    });
  }
}

export function toSnapshotFlag(row: SnapshotFlagRow): SnapshotFlag {
  return {
    key: row.key,
    type: row.type,
    variants: row.variants,
    enabled: row.config.enabled,
    offVariant: row.config.offVariant,
    rules: row.config.rules,
    defaultServe: row.config.defaultServe,
    version: row.version,
    // Left out when there are none, so snapshots of flags without prerequisites stay byte-identical.
    ...(hasPrerequisites(row.config.prerequisites) ? { prerequisites: row.config.prerequisites } : {}),
  };
}

/** Anything but absent or `[]`; a malformed value is passed on so the engine reports it (PARSE_ERROR). */
function hasPrerequisites(value: unknown): boolean {
  return value !== undefined && value !== null && !(Array.isArray(value) && value.length === 0);
}
