import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The release policy of each service, owned by the server and set by an admin: environments with
 * their namespaces, approval and four-eyes, and the image repositories a release may come from.
 * Every change bumps `version` (the ETag) and is audited with before and after.
 */
export class ReleasePolicies1764250000000 implements MigrationInterface {
  name = 'ReleasePolicies1764250000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE release_policies (
      service text PRIMARY KEY,
      version integer NOT NULL,
      policy jsonb NOT NULL,
      updated_by text NOT NULL,
      updated_at timestamptz NOT NULL DEFAULT now()
    )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE release_policies`);
  }
}
