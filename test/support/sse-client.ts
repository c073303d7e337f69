/** One Server-Sent Event as received. */
export interface SseEvent {
  event: string;
  id?: string;
  data: string;
  receivedAt: number;
}

/**
 * A minimal SSE client over fetch for tests and benchmarks: events are queued, and `next()`
 * awaits the next one matching a predicate (no sleeping).
 */
export class SseClient {
  readonly events: SseEvent[] = [];
  comments = 0;
  private waiters: Array<{ match: (e: SseEvent) => boolean; resolve: (e: SseEvent) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }> = [];
  private readonly controller = new AbortController();
  private consumed = 0;
  status = 0;
  closed = false;

  private constructor() {}

  /** `body` makes it a POST with a JSON body (the browser value stream takes its context that way). */
  static async connect(url: string, headers: Record<string, string> = {}, body?: unknown): Promise<SseClient> {
    const client = new SseClient();
    const res = await fetch(url, {
      ...(body === undefined ? {} : { method: 'POST', body: JSON.stringify(body) }),
      headers: { accept: 'text/event-stream', ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      signal: client.controller.signal,
    });
    client.status = res.status;
    if (!res.ok || !res.body) {
      client.closed = true;
      return client;
    }
    void client.pump(res.body);
    return client;
  }

  /** Resolves with the first not-yet-consumed event matching `match`, waiting up to `timeoutMs`. */
  next(match: (e: SseEvent) => boolean = () => true, timeoutMs = 10_000): Promise<SseEvent> {
    for (let i = this.consumed; i < this.events.length; i++) {
      if (match(this.events[i])) {
        this.consumed = i + 1;
        return Promise.resolve(this.events[i]);
      }
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.timer !== timer);
        reject(new Error(`no matching SSE event within ${timeoutMs} ms (got ${this.events.map((e) => e.event).join(', ') || 'none'})`));
      }, timeoutMs);
      this.waiters.push({ match, resolve, reject, timer });
    });
  }

  close(): void {
    this.closed = true;
    this.controller.abort();
    for (const waiter of this.waiters) {
      clearTimeout(waiter.timer);
      waiter.reject(new Error('closed'));
    }
    this.waiters = [];
  }

  private async pump(body: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let index: number;
        while ((index = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, index);
          buffer = buffer.slice(index + 2);
          this.parse(block);
        }
      }
    } catch {
      // aborted or reset
    }
    this.closed = true;
  }

  private parse(block: string): void {
    let event = 'message';
    let id: string | undefined;
    const data: string[] = [];
    let fields = 0;
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) {
        this.comments += 1;
        continue;
      }
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') event = value;
      else if (field === 'id') id = value;
      else if (field === 'data') data.push(value);
      else continue;
      fields += 1;
    }
    if (fields === 0 || data.length === 0) return;
    const received: SseEvent = { event, id, data: data.join('\n'), receivedAt: performance.now() };
    this.events.push(received);
    const waiter = this.waiters.find((w) => w.match(received));
    if (waiter) {
      this.waiters = this.waiters.filter((w) => w !== waiter);
      clearTimeout(waiter.timer);
      this.consumed = this.events.length;
      waiter.resolve(received);
    }
  }
}
