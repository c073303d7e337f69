import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The installation's identity: proves the record survives restarts and names this install in logs. */
export class Installation1764180000000 implements MigrationInterface {
  name = 'Installation1764180000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE installation (
      id uuid PRIMARY KEY,
      created_at timestamptz NOT NULL DEFAULT now()
    )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE installation`);
  }
}
