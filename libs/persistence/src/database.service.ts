import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { DataSource, EntityManager } from 'typeorm';

/**
 * The app's handle on the record. Embedded PGlite has a single session, so concurrent
 * transactions would interleave on it; there every transaction is serialised here.
 */
@Injectable()
export class Database implements OnApplicationShutdown {
  private tail: Promise<unknown> = Promise.resolve();

  constructor(
    readonly dataSource: DataSource,
    readonly embedded: boolean,
  ) {}

  get manager(): EntityManager {
    return this.dataSource.manager;
  }

  async transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    if (!this.embedded) return this.dataSource.transaction(work);
    const run = this.tail.then(() => this.dataSource.transaction(work));
    this.tail = run.catch(() => undefined);
    return run;
  }

  /** Runs a statement outside any transaction (still serialised in embedded mode). */
  async query<T = unknown>(sql: string, parameters: unknown[] = []): Promise<T[]> {
    if (!this.embedded) return this.dataSource.query(sql, parameters);
    const run = this.tail.then(() => this.dataSource.query(sql, parameters) as Promise<T[]>);
    this.tail = run.catch(() => undefined);
    return run;
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
}
