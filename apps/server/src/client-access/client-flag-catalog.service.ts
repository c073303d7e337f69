import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Logger } from 'pino';
import { LOGGER } from '@switchyard/observability';
import { ClientCatalogRepository, type ClientFlagMarks } from '@switchyard/flags';
import type { ClientFlagFilter } from './client-flag-filter';

/** How long a change to a flag's tags or client-side mark may take to reach browsers. */
export const CATALOG_REFRESH_MS = 5_000;

/**
 * Which flags each client token filter lets through. Tags and the client-side mark are not in the
 * SDK snapshot (evaluation does not need them), so this replica keeps its own small copy from
 * PostgreSQL, refreshed in the background; requests never wait for the database. While PostgreSQL
 * is unreachable the last copy stays; before the first copy, filtered tokens see no flags (fail closed).
 */
@Injectable()
export class ClientFlagCatalog implements OnApplicationBootstrap, OnApplicationShutdown {
  private marks = new Map<string, Omit<ClientFlagMarks, 'key'>>();
  private signature = '';
  /** Bumped whenever what some filter lets through may have changed: part of the client ETag. */
  generation = 0;
  private timer?: NodeJS.Timeout;
  private refreshing?: Promise<void>;
  private readonly listeners: Array<() => void> = [];

  constructor(
    private readonly catalog: ClientCatalogRepository,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => void this.refresh(), CATALOG_REFRESH_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** Called when what a filter lets through changed (a tag or mark edited). */
  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  visible(filter: ClientFlagFilter, key: string): boolean {
    if (filter.kind === 'all') return true;
    const marks = this.marks.get(key);
    if (!marks) return false;
    return filter.kind === 'client-side' ? marks.clientSide : marks.tags.includes(filter.tag);
  }

  /** Re-reads the marks now (also used by tests after an edit, instead of waiting for the timer). */
  refresh(): Promise<void> {
    this.refreshing ??= this.load().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  private async load(): Promise<void> {
    try {
      const rows = await this.catalog.marks();
      const signature = rows.map((row) => `${row.key}|${row.clientSide ? 1 : 0}|${row.tags.join(',')}`).join('\n');
      if (signature === this.signature) return;
      this.marks = new Map(rows.map((row) => [row.key, { tags: row.tags, clientSide: row.clientSide }]));
      const first = this.signature === '';
      this.signature = signature;
      this.generation += 1;
      if (!first) for (const listener of this.listeners) listener();
    } catch (error) {
      this.logger.warn({ err: error }, 'could not refresh the client-side flag marks; keeping the last ones');
    }
  }
}
