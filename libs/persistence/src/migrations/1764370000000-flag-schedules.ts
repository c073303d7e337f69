import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Scheduled flag changes: a patch of one environment's configuration applied at `run_at`. Rows
 * live in PostgreSQL so they survive restarts; every replica polls for due ones and claims a row
 * with a conditional UPDATE (`pending` → `firing`, under a lease in `claimed_until`), and marks it
 * `fired` in the same transaction as the flag write, so a change is applied once or not at all. A
 * replica that dies mid-fire leaves a `firing` row whose lease runs out; another one retries it.
 *
 * In an environment that requires approval a schedule starts `awaiting-approval`; approving it
 * records the flag version it was reviewed against (`approved_version`), and firing fails (with
 * `failure` saying why) if the flag moved since.
 */
export class FlagSchedules1764370000000 implements MigrationInterface {
  name = 'FlagSchedules1764370000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE flag_schedules (
      id uuid PRIMARY KEY,
      flag_key text NOT NULL,
      environment text NOT NULL,
      patch jsonb NOT NULL,
      run_at timestamptz NOT NULL,
      state text NOT NULL CHECK (state IN ('awaiting-approval', 'pending', 'firing', 'fired', 'failed', 'cancelled')),
      author text NOT NULL,
      author_principal text NOT NULL,
      comment text,
      approved_by text,
      approved_version integer,
      approved_at timestamptz,
      claimed_by text,
      claimed_until timestamptz,
      fired_at timestamptz,
      applied_version integer,
      failure text,
      cancelled_by text,
      created_at timestamptz NOT NULL DEFAULT now(),
      closed_at timestamptz
    )`);
    await queryRunner.query(`CREATE INDEX flag_schedules_due ON flag_schedules (state, run_at)`);
    await queryRunner.query(`CREATE INDEX flag_schedules_flag ON flag_schedules (flag_key, run_at)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE flag_schedules');
  }
}
