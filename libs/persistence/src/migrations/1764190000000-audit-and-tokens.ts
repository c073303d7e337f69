import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The shared audit trail (flags, deploys, mirror routes) and hashed API tokens. */
export class AuditAndTokens1764190000000 implements MigrationInterface {
  name = 'AuditAndTokens1764190000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE audit_events (
      id bigserial PRIMARY KEY,
      at timestamptz NOT NULL DEFAULT now(),
      actor text NOT NULL,
      action text NOT NULL,
      target text NOT NULL,
      environment text,
      before jsonb,
      after jsonb,
      meta jsonb NOT NULL DEFAULT '{}'::jsonb
    )`);
    await queryRunner.query(`CREATE INDEX audit_events_target_idx ON audit_events (target, id DESC)`);
    await queryRunner.query(`CREATE INDEX audit_events_at_idx ON audit_events (at DESC, id DESC)`);
    await queryRunner.query(`CREATE TABLE api_tokens (
      id uuid PRIMARY KEY,
      name text NOT NULL,
      token_hash text NOT NULL UNIQUE,
      token_prefix text NOT NULL,
      scopes text[] NOT NULL,
      created_by text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      last_used_at timestamptz,
      revoked_at timestamptz
    )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE api_tokens`);
    await queryRunner.query(`DROP TABLE audit_events`);
  }
}
