import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Environments, flags (definition + per-environment config), segments, their version history,
 * and SDK usage. `environments.version` is the snapshot version SDKs see: every change that
 * touches an environment bumps it by one in the same transaction.
 */
export class FeatureStore1764200000000 implements MigrationInterface {
  name = 'FeatureStore1764200000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE environments (
      key text PRIMARY KEY,
      name text NOT NULL,
      requires_confirmation boolean NOT NULL DEFAULT false,
      position integer NOT NULL DEFAULT 0,
      version bigint NOT NULL DEFAULT 0,
      created_at timestamptz NOT NULL DEFAULT now()
    )`);
    await queryRunner.query(`INSERT INTO environments (key, name, requires_confirmation, position) VALUES
      ('development', 'Development', false, 0), ('staging', 'Staging', false, 1), ('production', 'Production', true, 2)`);
    await queryRunner.query(`CREATE TABLE flags (
      key text PRIMARY KEY,
      name text NOT NULL,
      description text NOT NULL DEFAULT '',
      tags text[] NOT NULL DEFAULT '{}',
      owner text,
      type text NOT NULL,
      variants jsonb NOT NULL,
      archived boolean NOT NULL DEFAULT false,
      version integer NOT NULL DEFAULT 1,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    )`);
    await queryRunner.query(`CREATE TABLE flag_environments (
      flag_key text NOT NULL REFERENCES flags(key) ON DELETE CASCADE,
      environment_key text NOT NULL REFERENCES environments(key) ON DELETE CASCADE,
      config jsonb NOT NULL,
      version integer NOT NULL DEFAULT 1,
      updated_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (flag_key, environment_key)
    )`);
    await queryRunner.query(`CREATE TABLE flag_versions (
      flag_key text NOT NULL REFERENCES flags(key) ON DELETE CASCADE,
      version integer NOT NULL,
      definition jsonb NOT NULL,
      actor text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (flag_key, version)
    )`);
    await queryRunner.query(`CREATE TABLE segments (
      key text PRIMARY KEY,
      name text NOT NULL,
      description text NOT NULL DEFAULT '',
      conditions jsonb NOT NULL,
      version integer NOT NULL DEFAULT 1,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    )`);
    await queryRunner.query(`CREATE TABLE segment_versions (
      segment_key text NOT NULL REFERENCES segments(key) ON DELETE CASCADE,
      version integer NOT NULL,
      definition jsonb NOT NULL,
      actor text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (segment_key, version)
    )`);
    await queryRunner.query(`CREATE TABLE flag_usage (
      flag_key text NOT NULL,
      environment_key text NOT NULL,
      variant text NOT NULL,
      evaluations bigint NOT NULL DEFAULT 0,
      last_evaluated_at timestamptz NOT NULL,
      PRIMARY KEY (flag_key, environment_key, variant)
    )`);
    await queryRunner.query(`CREATE TABLE flag_usage_hourly (
      flag_key text NOT NULL,
      environment_key text NOT NULL,
      variant text NOT NULL,
      hour timestamptz NOT NULL,
      evaluations bigint NOT NULL DEFAULT 0,
      PRIMARY KEY (flag_key, environment_key, variant, hour)
    )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['flag_usage_hourly', 'flag_usage', 'segment_versions', 'segments', 'flag_versions', 'flag_environments', 'flags', 'environments']) {
      await queryRunner.query(`DROP TABLE ${table}`);
    }
  }
}
