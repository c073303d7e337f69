import { digest } from './context-key';
import type { FlagAnswer, KeyValueStorage } from './types';

interface Saved {
  etag?: string;
  flags: FlagAnswer[];
}

/** Contexts whose answers are kept (a page usually has one or two: anonymous, then signed in). */
const KEPT_CONTEXTS = 4;

/**
 * The last answers per context in localStorage, so a reload while the server is unreachable still
 * renders the values the user last saw. Storage errors (quota, private mode) are ignored: the
 * values in memory keep working without it.
 */
export class LastKnownValues {
  private readonly prefix: string;

  constructor(
    private readonly storage: KeyValueStorage | undefined,
    url: string,
    clientToken: string,
  ) {
    this.prefix = `switchyard:${digest(`${url}\n${clientToken}`)}:`;
  }

  load(contextJson: string): Saved | undefined {
    try {
      const text = this.storage?.getItem(this.prefix + digest(contextJson));
      return text ? (JSON.parse(text) as Saved) : undefined;
    } catch {
      return undefined;
    }
  }

  save(contextJson: string, saved: Saved): void {
    if (!this.storage) return;
    try {
      const id = digest(contextJson);
      const index = (JSON.parse(this.storage.getItem(`${this.prefix}index`) ?? '[]') as string[]).filter((other) => other !== id);
      index.unshift(id);
      for (const old of index.splice(KEPT_CONTEXTS)) this.storage.removeItem(this.prefix + old);
      this.storage.setItem(`${this.prefix}index`, JSON.stringify(index));
      this.storage.setItem(this.prefix + id, JSON.stringify(saved));
    } catch {
      // Full or unavailable storage: the next reload simply has no last-known values.
    }
  }
}
