import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What each variant means, in the team's words ("blue: the new checkout button"), shown in the
 * UI's variant table. Kept beside the flag, never in the SDK snapshot: evaluation does not need it.
 */
export class VariantDescriptions1764320000000 implements MigrationInterface {
  name = 'VariantDescriptions1764320000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE flags ADD COLUMN variant_descriptions jsonb NOT NULL DEFAULT '{}'::jsonb`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE flags DROP COLUMN variant_descriptions');
  }
}
