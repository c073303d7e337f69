import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Plain-language change review: an environment can require a comment on every change to it; the
 * comment and the change's sentences (summary) are kept on the audit event, and the comment on the
 * flag version it made, so history and audit show the same words.
 */
export class ChangeComments1764270000000 implements MigrationInterface {
  name = 'ChangeComments1764270000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE environments ADD COLUMN requires_comment boolean NOT NULL DEFAULT false');
    await queryRunner.query(`ALTER TABLE audit_events ADD COLUMN summary jsonb NOT NULL DEFAULT '[]'::jsonb, ADD COLUMN comment text`);
    await queryRunner.query('ALTER TABLE flag_versions ADD COLUMN comment text');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE flag_versions DROP COLUMN comment');
    await queryRunner.query('ALTER TABLE audit_events DROP COLUMN summary, DROP COLUMN comment');
    await queryRunner.query('ALTER TABLE environments DROP COLUMN requires_comment');
  }
}
