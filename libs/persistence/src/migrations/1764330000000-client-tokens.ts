import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Browser access. A `client:<environment>` token carries the page origins it may be used from
 * (none = no browser access) and an optional flag filter, so internal flags never reach a page;
 * `client_side` marks the flags a "client-side" filter lets through. Neither reaches the SDK
 * snapshot: the server applies them before it evaluates for a browser.
 */
export class ClientTokens1764330000000 implements MigrationInterface {
  name = 'ClientTokens1764330000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE flags ADD COLUMN client_side boolean NOT NULL DEFAULT false`);
    await queryRunner.query(`ALTER TABLE api_tokens ADD COLUMN allowed_origins text[] NOT NULL DEFAULT '{}'`);
    await queryRunner.query(`ALTER TABLE api_tokens ADD COLUMN flag_filter text NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE api_tokens DROP COLUMN flag_filter');
    await queryRunner.query('ALTER TABLE api_tokens DROP COLUMN allowed_origins');
    await queryRunner.query('ALTER TABLE flags DROP COLUMN client_side');
  }
}
