import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Releases from CI (build → test → publish) and their stages, as reported by `switchyard release`. */
export class Releases1764216000000 implements MigrationInterface {
  name = 'Releases1764216000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE releases (
      id uuid PRIMARY KEY,
      seq bigserial NOT NULL UNIQUE,
      service text NOT NULL,
      version text NOT NULL,
      git_sha text,
      branch text,
      build_number text,
      status text NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'abandoned')),
      failed_stage text,
      image_reference text,
      image_digest text,
      pipeline jsonb,
      created_by text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      last_report_at timestamptz NOT NULL DEFAULT now(),
      finished_at timestamptz
    )`);
    await queryRunner.query(`CREATE INDEX releases_service_seq_idx ON releases (service, seq DESC)`);
    // The abandon sweeper only ever looks at running releases.
    await queryRunner.query(`CREATE INDEX releases_running_idx ON releases (last_report_at) WHERE status = 'running'`);
    await queryRunner.query(`CREATE TABLE release_stages (
      release_id uuid NOT NULL REFERENCES releases (id) ON DELETE CASCADE,
      name text NOT NULL,
      position integer NOT NULL,
      status text NOT NULL CHECK (status IN ('pending', 'running', 'succeeded', 'failed', 'skipped', 'abandoned')),
      started_at timestamptz,
      finished_at timestamptz,
      log_tail text,
      error text,
      test_summary jsonb,
      artifacts jsonb,
      PRIMARY KEY (release_id, name)
    )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE release_stages`);
    await queryRunner.query(`DROP TABLE releases`);
  }
}
