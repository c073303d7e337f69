import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { DataSource, EntityManager } from 'typeorm';
import { classifyOutage, DatabaseUnavailableError } from './database-unavailable';

export interface DatabaseTimeouts {
  statementMs: number;
  acquireMs: number;
}

const DEFAULT_TIMEOUTS: DatabaseTimeouts = { statementMs: 5000, acquireMs: 5000 };

/**
 * The app's handle on the record. Embedded PGlite has a single session, so concurrent
 * transactions would interleave on it; there every transaction is serialised here.
 *
 * Failures that mean "PostgreSQL is not answering" (timeouts, refused or dropped connections) are
 * turned into DatabaseUnavailableError (503 with the reason), and the outage is remembered until the
 * next statement succeeds, so hot paths can fall back to what they know instead of queueing behind it.
 */
@Injectable()
export class Database implements OnApplicationShutdown {
  private tail: Promise<unknown> = Promise.resolve();
  private outageSince: number | undefined;

  constructor(
    readonly dataSource: DataSource,
    readonly embedded: boolean,
    readonly timeouts: DatabaseTimeouts = DEFAULT_TIMEOUTS,
  ) {}

  get manager(): EntityManager {
    return this.dataSource.manager;
  }

  /** When the current outage began (ms since epoch), or undefined while PostgreSQL answers. */
  get unreachableSince(): number | undefined {
    return this.outageSince;
  }

  async transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    if (!this.embedded) return this.observe(() => this.dataSource.transaction(work));
    const run = this.tail.then(() => this.dataSource.transaction(work));
    this.tail = run.catch(() => undefined);
    return run;
  }

  /** Runs a statement outside any transaction (still serialised in embedded mode). */
  async query<T = unknown>(sql: string, parameters: unknown[] = []): Promise<T[]> {
    if (!this.embedded) return this.observe(() => this.dataSource.query(sql, parameters));
    const run = this.tail.then(() => this.dataSource.query(sql, parameters) as Promise<T[]>);
    this.tail = run.catch(() => undefined);
    return run;
  }

  /** The error to surface for `error`: a DatabaseUnavailableError when it means an outage, else itself. */
  translate(error: unknown): unknown {
    if (error instanceof DatabaseUnavailableError) return error;
    const reason = classifyOutage(error, this.timeouts);
    if (reason === undefined) return error;
    this.outageSince ??= Date.now();
    return new DatabaseUnavailableError(reason, Math.max(1, Math.ceil(this.timeouts.statementMs / 1000)));
  }

  async ping(): Promise<void> {
    await this.query('SELECT 1');
  }

  async pendingMigrations(): Promise<boolean> {
    return this.dataSource.showMigrations();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
  }

  private async observe<T>(work: () => Promise<T>): Promise<T> {
    try {
      const result = await work();
      this.outageSince = undefined;
      return result;
    } catch (error) {
      throw this.translate(error);
    }
  }
}
