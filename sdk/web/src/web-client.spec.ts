import { createClient } from './web-client';
import type { FlagAnswer, KeyValueStorage } from './types';

/** A fake server behind `fetch`: bulk answers from `answer`, streams whose frames the test pushes. */
class FakeServer {
  bulkRequests: Array<{ context: unknown; ifNoneMatch?: string }> = [];
  streams: Array<{ context: unknown; push(frame: string): void; end(): void; lastEventId?: string }> = [];
  beacons: string[] = [];
  answer: (context: Record<string, unknown>) => { status: number; body?: unknown; etag?: string } = () => ({ status: 200, body: { flags: [] } });
  private streamWaiters: Array<() => void> = [];

  readonly fetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = String(input);
    const headers = (init?.headers ?? {}) as Record<string, string>;
    if (url.endsWith('/client/v1/usage')) {
      this.beacons.push(String(init?.body));
      return new Response(null, { status: 202 });
    }
    const { context } = JSON.parse(String(init?.body)) as { context: Record<string, unknown> };
    if (url.endsWith('/ofrep/v1/evaluate/flags')) {
      this.bulkRequests.push({ context, ifNoneMatch: headers['if-none-match'] });
      const answer = this.answer(context);
      if (answer.etag && headers['if-none-match'] === answer.etag) return new Response(null, { status: 304 });
      return new Response(answer.body === undefined ? null : JSON.stringify(answer.body), {
        status: answer.status,
        headers: { 'content-type': 'application/json', ...(answer.etag ? { etag: answer.etag } : {}) },
      });
    }
    if (url.endsWith('/client/v1/stream')) {
      let controller!: ReadableStreamDefaultController<Uint8Array>;
      const body = new ReadableStream<Uint8Array>({ start: (c) => void (controller = c) });
      const encoder = new TextEncoder();
      init?.signal?.addEventListener('abort', () => controller.error(new Error('aborted')));
      this.streams.push({
        context,
        lastEventId: headers['last-event-id'],
        push: (frame) => controller.enqueue(encoder.encode(frame)),
        end: () => controller.close(),
      });
      for (const waiter of this.streamWaiters.splice(0)) waiter();
      return new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream' } });
    }
    throw new TypeError('Failed to fetch');
  };

  /** Resolves once `count` streams have been opened. */
  async streamCount(count: number): Promise<void> {
    while (this.streams.length < count) await new Promise<void>((resolve) => this.streamWaiters.push(resolve));
  }
}

class MemoryStorage implements KeyValueStorage {
  readonly items = new Map<string, string>();
  getItem = (key: string) => this.items.get(key) ?? null;
  setItem = (key: string, value: string) => void this.items.set(key, value);
  removeItem = (key: string) => void this.items.delete(key);
}

const banner = (value: boolean, reason = 'STATIC'): FlagAnswer => ({ key: 'banner', value, variant: value ? 'on' : 'off', reason });

function nextEvent(client: ReturnType<typeof createClient>, event: 'change' | 'error'): Promise<{ keys?: string[]; error?: Error }> {
  return new Promise((resolve) => {
    const off = client.on(event, (detail) => {
      off();
      resolve(detail);
    });
  });
}

describe('web client', () => {
  it('answers from bootstrap values at once, then from the server, synchronously', async () => {
    const server = new FakeServer();
    server.answer = () => ({ status: 200, body: { flags: [banner(true), { key: 'plan', value: 'pro', reason: 'TARGETING_MATCH' }] }, etag: 'W/"e1"' });
    const client = createClient({
      url: 'https://flags.test/',
      clientToken: 't',
      bootstrap: [banner(false)],
      fetch: server.fetch,
      stream: false,
      storage: false,
      usageIntervalMs: false,
    });
    expect(client.getBooleanValue('banner', true)).toBe(false);
    await client.ready;
    expect(client.getBooleanDetails('banner', false)).toEqual({ flagKey: 'banner', value: true, variant: 'on', reason: 'STATIC' });
    expect(client.getStringValue('plan', 'free')).toBe('pro');
    expect(client.getNumberDetails('plan', 3)).toMatchObject({ value: 3, reason: 'ERROR', errorCode: 'TYPE_MISMATCH' });
    expect(client.getBooleanDetails('missing', true)).toMatchObject({ value: true, reason: 'ERROR', errorCode: 'FLAG_NOT_FOUND' });
    client.close();
  });

  it('returns defaults with the server’s reason when it refuses, and PROVIDER_NOT_READY before any answer', async () => {
    const server = new FakeServer();
    server.answer = () => ({ status: 401, body: { error: { code: 'UNAUTHENTICATED', message: 'the token is unknown or revoked' } } });
    const client = createClient({ url: 'https://flags.test', clientToken: 'bad', fetch: server.fetch, stream: false, storage: false, usageIntervalMs: false });
    expect(client.getBooleanDetails('banner', true)).toMatchObject({ value: true, reason: 'ERROR', errorCode: 'PROVIDER_NOT_READY' });
    await client.ready;
    expect(client.status).toBe('error');
    expect(client.getBooleanDetails('banner', true)).toMatchObject({
      value: true,
      reason: 'ERROR',
      errorCode: 'GENERAL',
      errorMessage: 'UNAUTHENTICATED: the token is unknown or revoked',
    });
    client.close();
  });

  it('re-evaluates on setContext with one request and says which keys changed', async () => {
    const server = new FakeServer();
    server.answer = (context) => ({ status: 200, body: { flags: [banner(context.email === 'alice@shop.example', 'TARGETING_MATCH')] } });
    const client = createClient({ url: 'https://flags.test', clientToken: 't', fetch: server.fetch, stream: false, storage: false, usageIntervalMs: false });
    await client.ready;
    expect(client.getBooleanValue('banner', true)).toBe(false);
    const changed = nextEvent(client, 'change');
    await client.setContext({ email: 'alice@shop.example' });
    expect((await changed).keys).toEqual(['banner']);
    expect(client.getBooleanValue('banner', false)).toBe(true);
    expect(server.bulkRequests.map((r) => r.context)).toEqual([{}, { email: 'alice@shop.example' }]);
    await client.setContext({ email: 'alice@shop.example' });
    expect(server.bulkRequests).toHaveLength(2);
    client.close();
  });

  it('follows the live stream, resuming from the bulk answer’s ETag', async () => {
    const server = new FakeServer();
    server.answer = () => ({ status: 200, body: { flags: [banner(false)] }, etag: 'W/"e1"' });
    const client = createClient({
      url: 'https://flags.test',
      clientToken: 't',
      context: { targetingKey: 'u1' },
      fetch: server.fetch,
      storage: false,
      usageIntervalMs: false,
    });
    await server.streamCount(1);
    expect(server.streams[0]).toMatchObject({ context: { targetingKey: 'u1' }, lastEventId: 'W/"e1"' });
    const changed = nextEvent(client, 'change');
    server.streams[0].push(
      `event: values\nid: W/"e2"\ndata: ${JSON.stringify({ flags: [banner(true), { key: 'plan', value: 'free' }], etag: 'W/"e2"', version: 2 })}\n\n`,
    );
    expect((await changed).keys).toEqual(['banner', 'plan']);
    expect(client.getBooleanValue('banner', false)).toBe(true);
    // `changes` frames carry only what changed; the rest is kept.
    const delta = nextEvent(client, 'change');
    server.streams[0].push(`event: changes\nid: W/"e3"\ndata: ${JSON.stringify({ flags: [banner(false)], removed: [], etag: 'W/"e3"', version: 3 })}\n\n`);
    expect((await delta).keys).toEqual(['banner']);
    expect([client.getBooleanValue('banner', true), client.getStringValue('plan', 'x')]).toEqual([false, 'free']);
    // The stream ending is not the end: it reconnects with the newest ETag.
    server.streams[0].end();
    await server.streamCount(2);
    expect(server.streams[1].lastEventId).toBe('W/"e3"');
    client.close();
  });

  it('serves last-known values from storage when the server cannot be reached, and revalidates them with their ETag', async () => {
    const storage = new MemoryStorage();
    const online = new FakeServer();
    online.answer = () => ({ status: 200, body: { flags: [banner(true)] }, etag: 'W/"e7"' });
    const first = createClient({
      url: 'https://flags.test',
      clientToken: 't',
      context: { targetingKey: 'u1' },
      fetch: online.fetch,
      stream: false,
      storage,
      usageIntervalMs: false,
    });
    await first.ready;
    first.close();

    const offline = createClient({
      url: 'https://flags.test',
      clientToken: 't',
      context: { targetingKey: 'u1' },
      fetch: () => Promise.reject(new TypeError('Failed to fetch')),
      stream: false,
      storage,
      usageIntervalMs: false,
    });
    expect(offline.getBooleanDetails('banner', false)).toMatchObject({ value: true, reason: 'CACHED' });
    await offline.ready;
    expect(offline.status).toBe('stale');
    expect(offline.lastError?.message).toContain('could not be reached');
    expect(offline.getBooleanValue('banner', false)).toBe(true);
    offline.close();

    const again = createClient({
      url: 'https://flags.test',
      clientToken: 't',
      context: { targetingKey: 'u1' },
      fetch: online.fetch,
      stream: false,
      storage,
      usageIntervalMs: false,
    });
    await again.ready;
    expect(online.bulkRequests.at(-1)?.ifNoneMatch).toBe('W/"e7"');
    expect(again.getBooleanDetails('banner', false)).toMatchObject({ value: true, reason: 'STATIC' });
    again.close();
  });

  it('counts evaluations and sends them as one text/plain beacon carrying the token', async () => {
    const server = new FakeServer();
    server.answer = () => ({ status: 200, body: { flags: [banner(true)] } });
    const sent: Array<{ url: string; type: string; text: Promise<string> }> = [];
    const navigator = { sendBeacon: (url: string, data: Blob) => (sent.push({ url, type: data.type, text: data.text() }), true) };
    Object.defineProperty(globalThis, 'navigator', { value: navigator, configurable: true });
    try {
      const client = createClient({
        url: 'https://flags.test',
        clientToken: 'tok',
        fetch: server.fetch,
        stream: false,
        storage: false,
        usageIntervalMs: 60_000,
      });
      await client.ready;
      for (let i = 0; i < 3; i++) client.getBooleanValue('banner', false);
      client.getBooleanValue('missing', false);
      client.flushUsage();
      expect(sent).toHaveLength(1);
      expect(sent[0]).toMatchObject({ url: 'https://flags.test/client/v1/usage', type: 'text/plain' });
      expect(JSON.parse(await sent[0].text)).toMatchObject({ clientToken: 'tok', counts: [{ flag: 'banner', variant: 'on', count: 3 }] });
      client.close();
      expect(sent).toHaveLength(1);
    } finally {
      Reflect.deleteProperty(globalThis, 'navigator');
    }
  });
});
