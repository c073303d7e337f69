import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { EnvironmentConfig, Segment, SnapshotFlag } from '@switchyard/core';
import { Database } from '@switchyard/persistence';

export interface SnapshotFlagRow {
  key: string;
  type: SnapshotFlag['type'];
  variants: Record<string, unknown>;
  config: Omit<EnvironmentConfig, 'version'>;
  version: number;
}

/** SQL the snapshot builder reads. Methods taking a manager run inside the caller's transaction. */
@Injectable()
export class SnapshotRepository {
  constructor(private readonly db: Database) {}

  async environments(): Promise<Array<{ key: string; version: string }>> {
    return this.db.query<{ key: string; version: string }>('SELECT key, version FROM environments ORDER BY position, key');
  }

  /** REPEATABLE READ so version and content read in the same transaction agree (not issued on embedded PGlite). */
  async repeatableRead(manager: EntityManager): Promise<void> {
    if (!this.db.embedded) await manager.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY');
  }

  async environmentVersion(manager: EntityManager, environment: string): Promise<Array<{ version: string }>> {
    return manager.query('SELECT version FROM environments WHERE key = $1', [environment]);
  }

  async flags(manager: EntityManager, environment: string): Promise<SnapshotFlagRow[]> {
    return manager.query(
      `SELECT f.key, f.type, f.variants, fe.config, fe.version
         FROM flags f JOIN flag_environments fe ON fe.flag_key = f.key
         WHERE fe.environment_key = $1 AND NOT f.archived ORDER BY f.key`,
      [environment],
    );
  }

  async segments(manager: EntityManager): Promise<Array<{ key: string; conditions: Segment['conditions'] }>> {
    return manager.query('SELECT key, conditions FROM segments ORDER BY key');
  }
}
