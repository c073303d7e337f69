import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Every object a release applied to an environment (ConfigMaps, Services, … not only its
 * Deployments), so a rollback can put each back as it was and delete what newer releases added.
 * Secrets are recorded as references to the rollout plan that holds their values, never the values.
 * NULL on rows written before this column: those roll back their Deployments only.
 */
export class ReleaseObjects1764340000000 implements MigrationInterface {
  name = 'ReleaseObjects1764340000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE environment_deployments ADD COLUMN objects jsonb NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE environment_deployments DROP COLUMN objects');
  }
}
