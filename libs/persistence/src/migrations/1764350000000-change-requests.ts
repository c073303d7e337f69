import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Four-eyes change requests. An environment with `require_approval` turns writes to flags (and to
 * segments its flags use) into pending requests that another person approves; the request keeps the
 * exact change (`after`) and the version it was made against (`base_version`), so applying it is the
 * reviewed change or nothing. `kill_switch_skips_approval` lets turning a flag off skip the queue.
 *
 * Production requires approval on fresh installations only (no flag yet): an installation that
 * already has flags keeps its confirm-header workflow until an admin switches approval on, so an
 * upgrade does not turn its CI's flag writes into requests overnight.
 */
export class ChangeRequests1764350000000 implements MigrationInterface {
  name = 'ChangeRequests1764350000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE environments ADD COLUMN require_approval boolean NOT NULL DEFAULT false`);
    await queryRunner.query(`ALTER TABLE environments ADD COLUMN kill_switch_skips_approval boolean NOT NULL DEFAULT false`);
    await queryRunner.query(`UPDATE environments SET require_approval = true WHERE key = 'production' AND NOT EXISTS (SELECT 1 FROM flags)`);
    await queryRunner.query(`CREATE TABLE change_requests (
      id uuid PRIMARY KEY,
      target_kind text NOT NULL CHECK (target_kind IN ('flag', 'segment')),
      target_key text NOT NULL,
      environments text[] NOT NULL,
      operation jsonb NOT NULL,
      base_version integer NOT NULL,
      before jsonb,
      after jsonb,
      summary jsonb NOT NULL DEFAULT '[]',
      state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'applied', 'rejected', 'withdrawn', 'stale')),
      author text NOT NULL,
      author_principal text NOT NULL,
      comment text,
      reviewer text,
      review_comment text,
      applied_version integer,
      created_at timestamptz NOT NULL DEFAULT now(),
      decided_at timestamptz
    )`);
    await queryRunner.query(`CREATE INDEX change_requests_state_target ON change_requests (state, target_kind, target_key)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE change_requests');
    await queryRunner.query('ALTER TABLE environments DROP COLUMN kill_switch_skips_approval');
    await queryRunner.query('ALTER TABLE environments DROP COLUMN require_approval');
  }
}
