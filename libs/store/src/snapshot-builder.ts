import { Injectable } from '@nestjs/common';
import type { EnvironmentConfig, Segment, Snapshot, SnapshotFlag } from '@switchyard/core';
import { Database } from '@switchyard/persistence';

interface FlagRow {
  key: string;
  type: SnapshotFlag['type'];
  variants: Record<string, unknown>;
  config: Omit<EnvironmentConfig, 'version'>;
  version: number;
}

/** Reads one environment's state from the record as a consistent snapshot. */
@Injectable()
export class SnapshotBuilder {
  constructor(private readonly db: Database) {}

  async environments(): Promise<Array<{ key: string; version: number }>> {
    const rows = await this.db.query<{ key: string; version: string }>('SELECT key, version FROM environments ORDER BY position, key');
    return rows.map((row) => ({ key: row.key, version: Number(row.version) }));
  }

  /** Undefined when the environment does not exist. One REPEATABLE READ transaction: version and content agree. */
  async build(environment: string): Promise<Snapshot | undefined> {
    return this.db.transaction(async (manager) => {
      if (!this.db.embedded) await manager.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY');
      const env: Array<{ version: string }> = await manager.query('SELECT version FROM environments WHERE key = $1', [environment]);
      if (env.length === 0) return undefined;
      const flags: FlagRow[] = await manager.query(
        `SELECT f.key, f.type, f.variants, fe.config, fe.version
         FROM flags f JOIN flag_environments fe ON fe.flag_key = f.key
         WHERE fe.environment_key = $1 AND NOT f.archived ORDER BY f.key`,
        [environment],
      );
      const segments: Array<{ key: string; conditions: Segment['conditions'] }> = await manager.query('SELECT key, conditions FROM segments ORDER BY key');
      const snapshot: Snapshot = { environment, version: Number(env[0].version), flags: {}, segments: {} };
      for (const row of flags) snapshot.flags[row.key] = toSnapshotFlag(row);
      for (const row of segments) snapshot.segments[row.key] = { key: row.key, conditions: row.conditions };
      return snapshot;
    });
  }
}

export function toSnapshotFlag(row: FlagRow): SnapshotFlag {
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
