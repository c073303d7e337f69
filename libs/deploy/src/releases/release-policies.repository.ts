import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { canonicalPolicy, type ReleasePolicy, type StoredPolicy } from '../policy/release-policy';

interface PolicyRow {
  service: string;
  version: number;
  policy: ReleasePolicy;
  updated_by: string;
  updated_at: Date;
}

/** Release policies in SQL that runs on PostgreSQL and PGlite alike. Every method works inside the caller's transaction. */
@Injectable()
export class ReleasePoliciesRepository {
  /** `forUpdate` locks the policy row so concurrent changes to one service's policy apply one after another. */
  async find(manager: EntityManager, service: string, forUpdate = false): Promise<StoredPolicy | undefined> {
    const rows: PolicyRow[] = await manager.query(`SELECT * FROM release_policies WHERE service = $1${forUpdate ? ' FOR UPDATE' : ''}`, [service]);
    return rows[0] ? toStored(rows[0]) : undefined;
  }

  async upsert(manager: EntityManager, change: { service: string; version: number; policy: ReleasePolicy; actor: string }): Promise<void> {
    await manager.query(
      `INSERT INTO release_policies (service, version, policy, updated_by, updated_at) VALUES ($1, $2, $3, $4, now())
       ON CONFLICT (service) DO UPDATE SET version = EXCLUDED.version, policy = EXCLUDED.policy, updated_by = EXCLUDED.updated_by, updated_at = now()`,
      [change.service, change.version, JSON.stringify(change.policy), change.actor],
    );
  }
}

function toStored(row: PolicyRow): StoredPolicy {
  return {
    service: row.service,
    version: row.version,
    policy: canonicalPolicy(row.policy),
    updatedBy: row.updated_by,
    updatedAt: new Date(row.updated_at).toISOString(),
  };
}
