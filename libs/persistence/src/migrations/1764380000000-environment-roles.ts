import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Per-environment roles: `environment_roles` maps an environment key to the role a person has
 * there instead of their base `role` (`{"development": "editor"}` on a viewer). Empty for everyone
 * at upgrade, so nobody's access changes until an admin sets an override.
 */
export class EnvironmentRoles1764380000000 implements MigrationInterface {
  name = 'EnvironmentRoles1764380000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE users ADD COLUMN environment_roles jsonb NOT NULL DEFAULT '{}'`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE users DROP COLUMN environment_roles`);
  }
}
