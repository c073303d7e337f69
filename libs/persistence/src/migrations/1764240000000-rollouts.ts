import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Rollouts of published releases to Kubernetes: the resumable state machine (steps, current step,
 * lease), per service+environment locks, canary measurements, and each environment's history of
 * what ran there (with image digests), which rollbacks restore from.
 */
export class Rollouts1764240000000 implements MigrationInterface {
  name = 'Rollouts1764240000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // The manifests CI sent with the release, per environment, as parsed objects.
    await queryRunner.query(`ALTER TABLE releases ADD COLUMN manifests jsonb`);
    await queryRunner.query(`CREATE TABLE rollouts (
      id uuid PRIMARY KEY,
      seq bigserial NOT NULL UNIQUE,
      kind text NOT NULL CHECK (kind IN ('release', 'rollback')),
      release_id uuid NOT NULL REFERENCES releases (id),
      service text NOT NULL,
      version text NOT NULL,
      image text NOT NULL,
      image_digest text,
      status text NOT NULL CHECK (status IN ('running', 'waiting', 'succeeded', 'failed', 'aborted', 'superseded')),
      plan jsonb NOT NULL,
      steps jsonb NOT NULL,
      current_step integer NOT NULL DEFAULT 0,
      verdict jsonb,
      error text,
      decisions jsonb NOT NULL DEFAULT '[]',
      abort_requested jsonb,
      cleanup_pending boolean NOT NULL DEFAULT false,
      superseded_by uuid,
      lease_owner text,
      lease_until timestamptz,
      created_by text NOT NULL,
      reason text,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      finished_at timestamptz
    )`);
    await queryRunner.query(`CREATE INDEX rollouts_release_idx ON rollouts (release_id, seq DESC)`);
    await queryRunner.query(`CREATE INDEX rollouts_service_idx ON rollouts (service, seq DESC)`);
    // The driver only ever claims running rollouts (or ones with cleanup left to do).
    await queryRunner.query(`CREATE INDEX rollouts_runnable_idx ON rollouts (lease_until) WHERE status = 'running' OR cleanup_pending`);
    await queryRunner.query(`CREATE TABLE rollout_locks (
      service text NOT NULL,
      environment text NOT NULL,
      rollout_id uuid NOT NULL REFERENCES rollouts (id),
      acquired_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (service, environment)
    )`);
    await queryRunner.query(`CREATE TABLE rollout_measurements (
      id bigserial PRIMARY KEY,
      rollout_id uuid NOT NULL REFERENCES rollouts (id) ON DELETE CASCADE,
      environment text NOT NULL,
      iteration integer NOT NULL,
      metric text NOT NULL,
      query text NOT NULL,
      canary_value double precision,
      stable_value double precision,
      samples double precision,
      threshold jsonb NOT NULL,
      outcome text NOT NULL CHECK (outcome IN ('successful', 'failed', 'inconclusive')),
      reason text NOT NULL,
      measured_at timestamptz NOT NULL
    )`);
    await queryRunner.query(`CREATE INDEX rollout_measurements_rollout_idx ON rollout_measurements (rollout_id, environment, iteration)`);
    await queryRunner.query(`CREATE TABLE environment_deployments (
      id bigserial PRIMARY KEY,
      service text NOT NULL,
      environment text NOT NULL,
      namespace text NOT NULL,
      kind text NOT NULL CHECK (kind IN ('release', 'rollback')),
      release_id uuid NOT NULL REFERENCES releases (id),
      rollout_id uuid REFERENCES rollouts (id),
      version text NOT NULL,
      image text NOT NULL,
      image_digest text,
      workloads jsonb NOT NULL,
      deployed_by text NOT NULL,
      reason text,
      deployed_at timestamptz NOT NULL DEFAULT now()
    )`);
    await queryRunner.query(`CREATE INDEX environment_deployments_lookup_idx ON environment_deployments (service, environment, id DESC)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE environment_deployments`);
    await queryRunner.query(`DROP TABLE rollout_measurements`);
    await queryRunner.query(`DROP TABLE rollout_locks`);
    await queryRunner.query(`DROP TABLE rollouts`);
    await queryRunner.query(`ALTER TABLE releases DROP COLUMN manifests`);
  }
}
