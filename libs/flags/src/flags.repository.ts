import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { FlagType } from '@switchyard/core';
import type { EnvironmentView, FlagEnvironmentView, FlagView, SegmentView, StoredConfig } from './flag.types';

interface FlagRow {
  key: string;
  name: string;
  description: string;
  tags: string[];
  client_side: boolean | null;
  owner: string | null;
  type: FlagType;
  variants: Record<string, unknown>;
  variant_descriptions: Record<string, string> | null;
  archived: boolean;
  version: number;
  created_at: Date;
  updated_at: Date;
}

interface FlagEnvRow {
  flag_key: string;
  environment_key: string;
  config: StoredConfig;
  version: number;
  updated_at: Date;
}

interface SegmentRow {
  key: string;
  name: string;
  description: string;
  conditions: SegmentView['conditions'];
  version: number;
  created_at: Date;
  updated_at: Date;
}

type Queryable = Pick<EntityManager, 'query'>;

/** The repository as its callers see it (public methods only): what an in-memory fake implements. */
export type FlagRecords = Pick<FlagsRepository, keyof FlagsRepository>;

const iso = (value: Date | string) => new Date(value).toISOString();

/** SQL for flags, environments and segments. Methods take the caller's manager so they join its transaction. */
@Injectable()
export class FlagsRepository {
  async environments(m: Queryable): Promise<EnvironmentView[]> {
    const rows: Array<{
      key: string;
      name: string;
      requires_confirmation: boolean;
      requires_comment: boolean;
      require_approval: boolean;
      kill_switch_skips_approval: boolean;
      version: string;
    }> = await m.query(
      'SELECT key, name, requires_confirmation, requires_comment, require_approval, kill_switch_skips_approval, version FROM environments ORDER BY position, key',
    );
    return rows.map((row) => ({
      key: row.key,
      name: row.name,
      requiresConfirmation: row.requires_confirmation,
      requiresComment: row.requires_comment,
      requireApproval: row.require_approval,
      killSwitchSkipsApproval: row.kill_switch_skips_approval,
      version: Number(row.version),
    }));
  }

  /**
   * Locks the environments (in key order, so concurrent writers never deadlock) and bumps each version by one.
   * NO KEY UPDATE, not UPDATE: the writer's own inserts into flag_environments already hold FOR KEY SHARE on
   * these rows (foreign-key checks), and two writers each holding KEY SHARE while asking for FOR UPDATE
   * deadlock (seen with concurrent writes through three replicas); NO KEY UPDATE still serialises bumps.
   */
  /** `position` orders the environment list: new environments go last. */
  async insertEnvironment(m: Queryable, env: Omit<EnvironmentView, 'version'>, position: number): Promise<void> {
    await m.query(
      'INSERT INTO environments (key, name, requires_confirmation, requires_comment, position, require_approval, kill_switch_skips_approval) VALUES ($1, $2, $3, $4, $5, $6, $7)',
      [env.key, env.name, env.requiresConfirmation, env.requiresComment, position, env.requireApproval, env.killSwitchSkipsApproval],
    );
  }

  async updateEnvironment(m: Queryable, env: Omit<EnvironmentView, 'version'>): Promise<void> {
    await m.query(
      'UPDATE environments SET name = $2, requires_confirmation = $3, requires_comment = $4, require_approval = $5, kill_switch_skips_approval = $6 WHERE key = $1',
      [env.key, env.name, env.requiresConfirmation, env.requiresComment, env.requireApproval, env.killSwitchSkipsApproval],
    );
  }

  async bumpEnvironments(m: Queryable, keys: string[]): Promise<Map<string, number>> {
    const sorted = [...new Set(keys)].sort();
    await m.query('SELECT key FROM environments WHERE key = ANY($1) ORDER BY key FOR NO KEY UPDATE', [sorted]);
    // Wrapped in a CTE because TypeORM returns [rows, count] for a bare UPDATE … RETURNING.
    const rows: Array<{ key: string; version: string }> = await m.query(
      'WITH bumped AS (UPDATE environments SET version = version + 1 WHERE key = ANY($1) RETURNING key, version) SELECT key, version FROM bumped',
      [sorted],
    );
    return new Map(rows.map((row) => [row.key, Number(row.version)]));
  }

  async lockFlag(m: Queryable, key: string): Promise<FlagView | undefined> {
    const rows: FlagRow[] = await m.query('SELECT * FROM flags WHERE key = $1 FOR UPDATE', [key]);
    return rows[0] ? this.withEnvironments(m, rows[0]) : undefined;
  }

  async findFlag(m: Queryable, key: string): Promise<FlagView | undefined> {
    const rows: FlagRow[] = await m.query('SELECT * FROM flags WHERE key = $1', [key]);
    return rows[0] ? this.withEnvironments(m, rows[0]) : undefined;
  }

  async listFlags(m: Queryable, includeArchived: boolean): Promise<FlagView[]> {
    const flags: FlagRow[] = await m.query(`SELECT * FROM flags ${includeArchived ? '' : 'WHERE NOT archived'} ORDER BY key`);
    const envs: FlagEnvRow[] = await m.query('SELECT * FROM flag_environments');
    const byFlag = new Map<string, FlagEnvRow[]>();
    for (const env of envs) byFlag.set(env.flag_key, [...(byFlag.get(env.flag_key) ?? []), env]);
    return flags.map((row) => toFlagView(row, byFlag.get(row.key) ?? []));
  }

  async insertFlag(m: Queryable, flag: Omit<FlagView, 'createdAt' | 'updatedAt' | 'version' | 'environments' | 'archived'>): Promise<void> {
    await m.query(
      'INSERT INTO flags (key, name, description, tags, owner, type, variants, variant_descriptions, client_side) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)',
      [
        flag.key,
        flag.name,
        flag.description,
        flag.tags,
        flag.owner,
        flag.type,
        JSON.stringify(flag.variants),
        JSON.stringify(flag.variantDescriptions),
        flag.clientSide,
      ],
    );
  }

  async updateFlagDefinition(m: Queryable, flag: FlagView): Promise<number> {
    const rows: Array<{ version: number }> = await m.query(
      `WITH updated AS (UPDATE flags SET name = $2, description = $3, tags = $4, owner = $5, variants = $6, archived = $7, variant_descriptions = $8, client_side = $9, version = version + 1, updated_at = now()
       WHERE key = $1 RETURNING version) SELECT version FROM updated`,
      [
        flag.key,
        flag.name,
        flag.description,
        flag.tags,
        flag.owner,
        JSON.stringify(flag.variants),
        flag.archived,
        JSON.stringify(flag.variantDescriptions),
        flag.clientSide ?? false,
      ],
    );
    return rows[0].version;
  }

  async upsertFlagEnvironment(m: Queryable, flagKey: string, environment: string, config: StoredConfig): Promise<void> {
    await m.query(
      `INSERT INTO flag_environments (flag_key, environment_key, config) VALUES ($1, $2, $3)
       ON CONFLICT (flag_key, environment_key) DO UPDATE SET config = EXCLUDED.config, version = flag_environments.version + 1, updated_at = now()`,
      [flagKey, environment, JSON.stringify(config)],
    );
  }

  async insertFlagVersion(m: Queryable, flag: FlagView, actor: string, comment?: string): Promise<void> {
    await m.query('INSERT INTO flag_versions (flag_key, version, definition, actor, comment) VALUES ($1, $2, $3, $4, $5)', [
      flag.key,
      flag.version,
      JSON.stringify(flag),
      actor,
      comment ?? null,
    ]);
  }

  async flagVersions(
    m: Queryable,
    key: string,
  ): Promise<Array<{ version: number; actor: string; created_at: Date; definition: FlagView; comment: string | null }>> {
    return m.query('SELECT version, actor, created_at, definition, comment FROM flag_versions WHERE flag_key = $1 ORDER BY version DESC', [key]);
  }

  async flagVersion(
    m: Queryable,
    key: string,
    version: number,
  ): Promise<{ version: number; actor: string; created_at: Date; definition: FlagView; comment: string | null } | undefined> {
    const rows: Array<{ version: number; actor: string; created_at: Date; definition: FlagView; comment: string | null }> = await m.query(
      'SELECT version, actor, created_at, definition, comment FROM flag_versions WHERE flag_key = $1 AND version = $2',
      [key, version],
    );
    return rows[0];
  }

  async segmentKeys(m: Queryable): Promise<Set<string>> {
    const rows: Array<{ key: string }> = await m.query('SELECT key FROM segments');
    return new Set(rows.map((row) => row.key));
  }

  async segments(m: Queryable): Promise<SegmentView[]> {
    const rows: SegmentRow[] = await m.query('SELECT * FROM segments ORDER BY key');
    return rows.map(toSegmentView);
  }

  async findSegment(m: Queryable, key: string, lock = false): Promise<SegmentView | undefined> {
    const rows: SegmentRow[] = await m.query(`SELECT * FROM segments WHERE key = $1${lock ? ' FOR UPDATE' : ''}`, [key]);
    return rows[0] ? toSegmentView(rows[0]) : undefined;
  }

  async insertSegment(m: Queryable, segment: Pick<SegmentView, 'key' | 'name' | 'description' | 'conditions'>): Promise<void> {
    await m.query('INSERT INTO segments (key, name, description, conditions) VALUES ($1, $2, $3, $4)', [
      segment.key,
      segment.name,
      segment.description,
      JSON.stringify(segment.conditions),
    ]);
  }

  async updateSegment(m: Queryable, segment: SegmentView): Promise<void> {
    await m.query('UPDATE segments SET name = $2, description = $3, conditions = $4, version = version + 1, updated_at = now() WHERE key = $1', [
      segment.key,
      segment.name,
      segment.description,
      JSON.stringify(segment.conditions),
    ]);
  }

  async insertSegmentVersion(m: Queryable, segment: SegmentView, actor: string): Promise<void> {
    await m.query('INSERT INTO segment_versions (segment_key, version, definition, actor) VALUES ($1, $2, $3, $4)', [
      segment.key,
      segment.version,
      JSON.stringify(segment),
      actor,
    ]);
  }

  async deleteSegment(m: Queryable, key: string): Promise<void> {
    await m.query('DELETE FROM segments WHERE key = $1', [key]);
  }

  /** Flags (not archived) and segments whose conditions reference the segment. */
  async segmentUsers(m: Queryable, key: string): Promise<{ flags: string[]; segments: string[] }> {
    const flagRows: Array<{ flag_key: string; environment_key: string; config: StoredConfig }> = await m.query(
      `SELECT fe.flag_key, fe.environment_key, fe.config FROM flag_environments fe JOIN flags f ON f.key = fe.flag_key
       WHERE NOT f.archived AND fe.config::text LIKE '%in_segment%'`,
    );
    const flags = new Set<string>();
    for (const row of flagRows) {
      if (row.config.rules.some((rule) => rule.conditions.some((c) => c.operator === 'in_segment' && c.values.includes(key)))) flags.add(row.flag_key);
    }
    const segmentRows: SegmentRow[] = await m.query(`SELECT * FROM segments WHERE key <> $1 AND conditions::text LIKE '%in_segment%'`, [key]);
    const segments = segmentRows.filter((row) => row.conditions.some((c) => c.operator === 'in_segment' && c.values.includes(key))).map((row) => row.key);
    return { flags: [...flags].sort(), segments };
  }

  async lastEvaluated(m: Queryable): Promise<Map<string, Date>> {
    const rows: Array<{ flag_key: string; last: Date }> = await m.query('SELECT flag_key, max(last_evaluated_at) AS last FROM flag_usage GROUP BY flag_key');
    return new Map(rows.map((row) => [row.flag_key, new Date(row.last)]));
  }

  private async withEnvironments(m: Queryable, row: FlagRow): Promise<FlagView> {
    const envs: FlagEnvRow[] = await m.query('SELECT * FROM flag_environments WHERE flag_key = $1', [row.key]);
    return toFlagView(row, envs);
  }
}

function toFlagView(row: FlagRow, envs: FlagEnvRow[]): FlagView {
  const environments: Record<string, FlagEnvironmentView> = {};
  for (const env of envs.sort((a, b) => a.environment_key.localeCompare(b.environment_key))) {
    environments[env.environment_key] = { ...env.config, version: env.version, updatedAt: iso(env.updated_at) };
  }
  return {
    key: row.key,
    name: row.name,
    description: row.description,
    tags: row.tags,
    clientSide: row.client_side ?? false,
    owner: row.owner,
    type: row.type,
    variants: row.variants,
    variantDescriptions: row.variant_descriptions ?? {},
    archived: row.archived,
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
    version: row.version,
    environments,
  };
}

function toSegmentView(row: SegmentRow): SegmentView {
  return {
    key: row.key,
    name: row.name,
    description: row.description,
    conditions: row.conditions,
    version: row.version,
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
  };
}
