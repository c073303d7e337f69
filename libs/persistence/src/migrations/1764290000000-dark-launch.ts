import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The dark-launch stage's side of the mirror. Routes remember the service and environment a
 * rollout set them up for (so their changes and verdicts land on that timeline); the last verdict
 * per route is kept so that a change of it is audited once; and a comparison window collects the
 * reports that arrive while it is open, because the hourly report buckets cannot say "only what
 * was compared against this candidate, since this stage began".
 */
export class DarkLaunch1764290000000 implements MigrationInterface {
  name = 'DarkLaunch1764290000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE mirror_routes ADD COLUMN service text, ADD COLUMN environment text');
    await queryRunner.query('ALTER TABLE mirror_route_status ADD COLUMN verdict text');
    await queryRunner.query(`CREATE TABLE mirror_report_windows (
      id uuid PRIMARY KEY,
      route text NOT NULL,
      opened_at timestamptz NOT NULL DEFAULT now(),
      closed_at timestamptz,
      endpoints jsonb NOT NULL DEFAULT '{}'::jsonb
    )`);
    await queryRunner.query('CREATE INDEX mirror_report_windows_open_idx ON mirror_report_windows (route) WHERE closed_at IS NULL');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE mirror_report_windows');
    await queryRunner.query('ALTER TABLE mirror_route_status DROP COLUMN verdict');
    await queryRunner.query('ALTER TABLE mirror_routes DROP COLUMN environment, DROP COLUMN service');
  }
}
