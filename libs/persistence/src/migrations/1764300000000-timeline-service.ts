import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * One timeline: every audit event names the deployed service it belongs to, and the changes query
 * ("what changed in production in the last 30 minutes", newest first) is answered from an index
 * whatever the filter: environment, service, or none.
 *
 * Existing deploy events are filled in where the row itself says which service it was: the engine
 * put `service` in meta, releases and rollouts target `release:<service>/<id>`, rollbacks
 * `environment:<service>/<environment>`, release policies `service:<service>`. Flag environments
 * are `environment:<key>` without a slash and stay without a service. The expression is copied
 * here rather than imported so this migration keeps meaning what it meant when it landed.
 */
const SERVICE_OF_ROW = `COALESCE(
  NULLIF(meta->>'service', ''),
  CASE
    WHEN target LIKE 'release:%/%' THEN NULLIF(split_part(substr(target, 9), '/', 1), '')
    WHEN target LIKE 'environment:%/%' THEN NULLIF(split_part(substr(target, 13), '/', 1), '')
    WHEN target LIKE 'service:%' THEN NULLIF(substr(target, 9), '')
  END
)`;

export class TimelineService1764300000000 implements MigrationInterface {
  name = 'TimelineService1764300000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE audit_events ADD COLUMN service text');
    await queryRunner.query(`UPDATE audit_events SET service = ${SERVICE_OF_ROW}
      WHERE meta->>'service' IS NOT NULL OR target LIKE 'release:%' OR target LIKE 'environment:%/%' OR target LIKE 'service:%'`);
    // Newest first within an environment or a service; the (at, id) tail serves both the time
    // bound and the cursor, so a page reads only the rows it returns.
    await queryRunner.query('CREATE INDEX audit_events_environment_at_idx ON audit_events (environment, at DESC, id DESC)');
    await queryRunner.query('CREATE INDEX audit_events_service_at_idx ON audit_events (service, at DESC, id DESC) WHERE service IS NOT NULL');
    // A kind is a set of actions: a rare one (guardrail trips, rollbacks) is found through its
    // actions instead of by reading a week of an environment's events.
    await queryRunner.query('CREATE INDEX audit_events_action_at_idx ON audit_events (action, at DESC, id DESC)');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX audit_events_action_at_idx');
    await queryRunner.query('DROP INDEX audit_events_service_at_idx');
    await queryRunner.query('DROP INDEX audit_events_environment_at_idx');
    await queryRunner.query('ALTER TABLE audit_events DROP COLUMN service');
  }
}
