import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Dark-launch mirror routes managed through the API, and the per-endpoint report aggregates that
 * connected proxies send in batches (one row per route, endpoint and hour; examples inside are
 * bounded when batches are merged).
 */
export class Mirror1764230000000 implements MigrationInterface {
  name = 'Mirror1764230000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE mirror_routes (
      name text PRIMARY KEY,
      definition jsonb NOT NULL,
      version integer NOT NULL,
      created_by text NOT NULL,
      updated_by text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    )`);
    // One counter for the whole route set, so proxies can tell which list is newer.
    await queryRunner.query(`CREATE TABLE mirror_route_revision (id smallint PRIMARY KEY CHECK (id = 1), revision bigint NOT NULL)`);
    await queryRunner.query(`INSERT INTO mirror_route_revision (id, revision) VALUES (1, 0)`);
    await queryRunner.query(`CREATE TABLE mirror_endpoint_reports (
      route text NOT NULL,
      endpoint text NOT NULL,
      bucket timestamptz NOT NULL,
      seen bigint NOT NULL,
      sampled bigint NOT NULL,
      compared bigint NOT NULL,
      aggregate jsonb NOT NULL,
      updated_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (route, bucket, endpoint)
    )`);
    await queryRunner.query(`CREATE TABLE mirror_route_status (
      route text PRIMARY KEY,
      breaker jsonb,
      reported_by text,
      updated_at timestamptz NOT NULL DEFAULT now()
    )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE mirror_route_status`);
    await queryRunner.query(`DROP TABLE mirror_endpoint_reports`);
    await queryRunner.query(`DROP TABLE mirror_route_revision`);
    await queryRunner.query(`DROP TABLE mirror_routes`);
  }
}
