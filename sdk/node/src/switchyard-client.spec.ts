import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Snapshot, SnapshotFlag } from '@switchyard/core';
import { freePort } from '../../../test/support/free-port';
import { ClientEvent, type ClientEventMap } from './client-events';
import type { ClientOptions } from './client-options';
import { booleanFlag, ProtocolServer } from './protocol-server.fixture';
import { createClient, SwitchyardClient } from './switchyard-client';

const checkout: SnapshotFlag = {
  key: 'checkout',
  type: 'string',
  variants: { old: 'v1', new: 'v2' },
  enabled: true,
  offVariant: 'old',
  rules: [{ id: 'nordics', conditions: [{ attribute: 'country', operator: 'in', values: ['NO', 'SE'] }], serve: { variant: 'new' } }],
  defaultServe: { variant: 'old' },
  version: 3,
};

const base = (version = 10): Snapshot => ({
  environment: 'production',
  version,
  flags: { dark: booleanFlag('dark', true), checkout, limit: { ...booleanFlag('limit', true), type: 'number', variants: { on: 100, off: 0 } } },
  segments: {},
});

function nextEvent<E extends ClientEvent>(client: SwitchyardClient, event: E): Promise<ClientEventMap[E]> {
  return new Promise((resolve) => client.once(event, resolve));
}

// Fast timings so that reconnects and heartbeats happen within a test.
const fast: Partial<ClientOptions> = { timeoutMs: 2000, reconnectInitialMs: 50, reconnectMaxMs: 200, metricsIntervalMs: 0, token: 'sdk-token' };

describe('SwitchyardClient', () => {
  const clients: SwitchyardClient[] = [];
  const servers: ProtocolServer[] = [];
  let dir: string;

  const track = (client: SwitchyardClient) => {
    clients.push(client);
    return client;
  };
  const server = async (snapshot: Snapshot = base(), port?: number) => {
    const s = await ProtocolServer.start(snapshot, port);
    servers.push(s);
    return s;
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'switchyard-sdk-'));
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await Promise.all(servers.splice(0).map((s) => s.close()));
    rmSync(dir, { recursive: true, force: true });
  });

  describe('offline with a bootstrap', () => {
    it('evaluates every type locally and says where the flags came from', async () => {
      const client = track(await createClient({ offline: true, bootstrap: base() }));
      expect(client.status).toBe('ready');
      expect(client.getBooleanValue('dark', false)).toBe(true);
      expect(client.getStringValue('checkout', 'x', { country: 'NO' })).toBe('v2');
      expect(client.getStringValue('checkout', 'x', { country: 'DK' })).toBe('v1');
      expect(client.getNumberValue('limit', 1)).toBe(100);
      expect(client.getStringDetails('checkout', 'x', { country: 'SE' })).toEqual({
        value: 'v2',
        variant: 'new',
        reason: 'TARGETING_MATCH',
        errorCode: undefined,
        errorMessage: undefined,
        flagMetadata: { source: 'bootstrap', snapshotVersion: 10, environment: 'production', flagVersion: 3, ruleId: 'nordics' },
      });
    });

    it('returns the default with an error code for missing flags and type mismatches', async () => {
      const client = track(await createClient({ offline: true, bootstrap: base() }));
      expect(client.getBooleanValue('missing', true)).toBe(true);
      expect(client.getBooleanDetails('missing', true)).toMatchObject({ value: true, reason: 'ERROR', errorCode: 'FLAG_NOT_FOUND' });
      expect(client.getNumberValue('dark', 7)).toBe(7);
      expect(client.getNumberDetails('dark', 7)).toMatchObject({ value: 7, reason: 'ERROR', errorCode: 'TYPE_MISMATCH' });
      expect(client.getObjectValue('checkout', { a: 1 })).toEqual({ a: 1 });
    });

    it('never throws, whatever the context', async () => {
      const client = track(await createClient({ offline: true, bootstrap: base() }));
      const hostile = Object.defineProperty({}, 'country', {
        enumerable: true,
        get() {
          throw new Error('boom');
        },
      });
      const proxy = new Proxy(
        {},
        {
          getOwnPropertyDescriptor: () => {
            throw new Error('trap');
          },
          has: () => {
            throw new Error('trap');
          },
        },
      );
      for (const context of [hostile, proxy, null, undefined, 42, 'text', [], { country: { toString: () => 'NO' } }]) {
        expect(() => client.getStringValue('checkout', 'default', context as never)).not.toThrow();
        expect(() => client.getStringDetails('checkout', 'default', context as never)).not.toThrow();
      }
      expect(client.getStringDetails('checkout', 'default', hostile)).toMatchObject({ value: 'default', reason: 'ERROR', errorCode: 'GENERAL' });
      expect(() => client.getBooleanValue(undefined as never, false)).not.toThrow();
      expect(() => client.getBooleanValue({} as never, false)).not.toThrow();
    });

    it('reads a bootstrap file', async () => {
      const path = join(dir, 'bootstrap.json');
      writeFileSync(path, JSON.stringify(base(4)));
      const client = track(await createClient({ offline: true, bootstrap: path }));
      expect(client.getBooleanDetails('dark', false).flagMetadata).toMatchObject({ source: 'bootstrap', snapshotVersion: 4 });
    });

    it('rejects options it cannot work with, up front', () => {
      expect(() => new SwitchyardClient({})).toThrow(/needs url/);
      expect(() => new SwitchyardClient({ offline: true })).toThrow(/bootstrap or cacheFile/);
      expect(() => new SwitchyardClient({ url: 'ftp://x' })).toThrow(/http\(s\) URL/);
      expect(() => new SwitchyardClient({ mode: 'redis', redis: { url: 'redis://127.0.0.1:6379' } })).toThrow(/environment/);
      expect(() => new SwitchyardClient({ url: 'http://127.0.0.1:1', pollIntervalMs: -1 })).toThrow(/pollIntervalMs/);
      expect(() => new SwitchyardClient({ offline: true, bootstrap: { nope: 1 } as never })).toThrow(/not a snapshot/);
    });
  });

  describe('stream mode', () => {
    it('loads the snapshot, then applies a change and emits its keys', async () => {
      const s = await server();
      const client = track(await createClient({ ...fast, url: s.url, environment: 'production' }));
      expect(client.status).toBe('ready');
      expect(client.getBooleanValue('dark', false)).toBe(true);
      expect(client.getBooleanDetails('dark', false).flagMetadata).toMatchObject({ source: 'server', snapshotVersion: 10 });
      const stream = s.requests.find((r) => r.path.startsWith('/sdk/v1/stream'))!;
      expect(stream.path).toBe('/sdk/v1/stream?environment=production');
      expect(stream.headers.authorization).toBe('Bearer sdk-token');
      expect(stream.headers['last-event-id']).toBeUndefined();

      const changed = nextEvent(client, ClientEvent.Change);
      s.publish({ dark: booleanFlag('dark', false, 2) });
      expect(await changed).toEqual({ keys: ['dark'], source: 'server', version: 11 });
      expect(client.getBooleanValue('dark', true)).toBe(false);
    });

    it('goes stale when the connection drops, resumes with Last-Event-ID and catches up', async () => {
      const s = await server();
      const client = track(await createClient({ ...fast, url: s.url }));
      await s.streamsOpen(1);
      const stale = nextEvent(client, ClientEvent.Stale);
      s.dropStreams();
      await stale;
      expect(client.status).toBe('stale');
      expect(client.getBooleanValue('dark', false)).toBe(true);

      const ready = nextEvent(client, ClientEvent.Ready);
      await ready;
      const streams = s.requests.filter((r) => r.path.startsWith('/sdk/v1/stream'));
      expect(streams[streams.length - 1].headers['last-event-id']).toBe('10');
      expect(client.status).toBe('ready');

      const changed = nextEvent(client, ClientEvent.Change);
      s.publish({ dark: booleanFlag('dark', false, 2) });
      expect((await changed).keys).toEqual(['dark']);
    });

    it('refetches the full snapshot when a change does not follow its version', async () => {
      const s = await server();
      const client = track(await createClient({ ...fast, url: s.url }));
      await s.streamsOpen(1);
      s.applySilently({ checkout: { ...checkout, enabled: false } });
      const changed = nextEvent(client, ClientEvent.Change);
      s.publish({ dark: booleanFlag('dark', false, 2) });
      expect((await changed).keys.sort()).toEqual(['checkout', 'dark']);
      expect(client.getStringValue('checkout', 'x', { country: 'NO' })).toBe('v1');
      expect(client.getBooleanValue('dark', true)).toBe(false);
      expect(client.stats().version).toBe(12);
      expect(s.requests.filter((r) => r.path.startsWith('/sdk/v1/snapshot'))).toHaveLength(1);
    });

    it('survives an event cut in half by a dropped connection', async () => {
      const s = await server();
      const client = track(await createClient({ ...fast, url: s.url }));
      await s.streamsOpen(1);
      s.writeRaw('event: change\nid: 11\ndata: {"environment":"production","version":11,');
      const ready = nextEvent(client, ClientEvent.Ready);
      s.dropStreams();
      await ready;
      const changed = nextEvent(client, ClientEvent.Change);
      s.publish({ dark: booleanFlag('dark', false, 2) });
      expect((await changed).version).toBe(11);
      expect(client.getBooleanValue('dark', true)).toBe(false);
    });

    it('reconnects and emits stale when the stream goes silent past the heartbeat timeout, but not while pings arrive', async () => {
      const s = await server();
      const client = track(await createClient({ ...fast, url: s.url, heartbeatTimeoutMs: 1000 }));
      await s.streamsOpen(1);
      const events: string[] = [];
      client.on(ClientEvent.Stale, () => events.push('stale'));
      for (let i = 0; i < 15; i++) {
        s.ping();
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(events).toEqual([]);
      const stale = nextEvent(client, ClientEvent.Stale);
      const error = nextEvent(client, ClientEvent.Error);
      expect((await stale).reason).toMatch(/no data or heartbeat on the stream for 1000 ms/);
      expect((await error).error.kind).toBe('connection');
      await nextEvent(client, ClientEvent.Ready);
      expect(s.requests.filter((r) => r.path.startsWith('/sdk/v1/stream')).length).toBeGreaterThanOrEqual(2);
    });

    it('reports a refused token with its status and stays not ready', async () => {
      const s = await server();
      s.refuseWith = 401;
      const client = track(new SwitchyardClient({ ...fast, url: s.url, timeoutMs: 300 }));
      const error = nextEvent(client, ClientEvent.Error);
      expect(await client.waitUntilReady()).toBe(false);
      const { error: e } = await error;
      expect(e).toMatchObject({ kind: 'http', status: 401 });
      expect(e.message).toMatch(/answered 401 \(UNAUTHENTICATED: refused by the fixture\)/);
      expect(client.status).toBe('not-ready');
    });
  });

  describe('server down at start', () => {
    it('serves defaults with PROVIDER_NOT_READY, then becomes ready once the server answers', async () => {
      const port = await freePort();
      const client = track(await createClient({ ...fast, url: `http://127.0.0.1:${port}`, timeoutMs: 300 }));
      expect(client.status).toBe('not-ready');
      expect(client.getBooleanValue('dark', false)).toBe(false);
      expect(client.getBooleanDetails('dark', false)).toMatchObject({ value: false, reason: 'ERROR', errorCode: 'PROVIDER_NOT_READY', flagMetadata: {} });

      const ready = nextEvent(client, ClientEvent.Ready);
      await server(base(), port);
      expect(await ready).toEqual({ source: 'server', environment: 'production', version: 10 });
      expect(client.getBooleanValue('dark', false)).toBe(true);
    });

    it('serves the cache file of an earlier run, and replaces it when the server answers', async () => {
      const cacheFile = join(dir, 'cache', 'flags.json');
      const s = await server();
      const first = await createClient({ ...fast, url: s.url, cacheFile });
      const changed = nextEvent(first, ClientEvent.Change);
      s.publish({ dark: booleanFlag('dark', false, 2) });
      await changed;
      await first.close();
      const port = s.port;
      await s.close();

      const started = Date.now();
      const client = track(await createClient({ ...fast, url: `http://127.0.0.1:${port}`, cacheFile, timeoutMs: 5000 }));
      // The first refused connection is enough to fall back; no need to wait for timeoutMs.
      expect(Date.now() - started).toBeLessThan(2000);
      expect(client.status).toBe('ready');
      expect(client.getBooleanValue('dark', true)).toBe(false);
      expect(client.getBooleanDetails('dark', true).flagMetadata).toMatchObject({ source: 'cache', snapshotVersion: 11 });

      const back = await server({ ...base(12), flags: { ...base().flags, dark: booleanFlag('dark', true, 3) } }, port);
      const change = await nextEvent(client, ClientEvent.Change);
      expect(change).toEqual({ keys: ['dark'], source: 'server', version: 12 });
      expect(client.getBooleanValue('dark', false)).toBe(true);
      expect(back.requests.some((r) => r.path.startsWith('/sdk/v1/stream') && r.headers['last-event-id'] === undefined)).toBe(true);
    });

    it('prefers the cache over the bootstrap, and uses the bootstrap when there is no cache', async () => {
      const port = await freePort();
      const cacheFile = join(dir, 'flags.json');
      const bootstrap = { ...base(1), flags: { dark: booleanFlag('dark', false) } };
      const noCache = track(await createClient({ ...fast, url: `http://127.0.0.1:${port}`, cacheFile, bootstrap }));
      expect(noCache.getBooleanDetails('dark', true)).toMatchObject({ value: false, flagMetadata: { source: 'bootstrap' } });
      writeFileSync(cacheFile, JSON.stringify({ savedAt: new Date().toISOString(), snapshot: base(9) }));
      const withCache = track(await createClient({ ...fast, url: `http://127.0.0.1:${port}`, cacheFile, bootstrap }));
      expect(withCache.getBooleanDetails('dark', false)).toMatchObject({ value: true, flagMetadata: { source: 'cache', snapshotVersion: 9 } });
    });
  });

  describe('poll mode', () => {
    it('polls with If-None-Match and emits changes', async () => {
      const s = await server();
      const client = track(await createClient({ ...fast, url: s.url, mode: 'poll', pollIntervalMs: 50 }));
      expect(client.getBooleanValue('dark', false)).toBe(true);
      const changed = nextEvent(client, ClientEvent.Change);
      s.applySilently({ dark: booleanFlag('dark', false, 2) });
      expect(await changed).toEqual({ keys: ['dark'], source: 'server', version: 11 });
      expect(client.getBooleanValue('dark', true)).toBe(false);
      const polls = s.requests.filter((r) => r.path.startsWith('/sdk/v1/snapshot'));
      expect(polls[0].headers['if-none-match']).toBeUndefined();
      expect(polls.slice(1).every((r) => r.headers['if-none-match'] !== undefined)).toBe(true);
      expect(polls.length).toBeGreaterThanOrEqual(2);
      expect(s.openStreams).toBe(0);
    });

    it('goes stale while the server is down and ready again when it is back', async () => {
      const s = await server();
      const port = s.port;
      const client = track(await createClient({ ...fast, url: s.url, mode: 'poll', pollIntervalMs: 50 }));
      const stale = nextEvent(client, ClientEvent.Stale);
      await s.close();
      await stale;
      expect(client.getBooleanValue('dark', false)).toBe(true);
      const ready = nextEvent(client, ClientEvent.Ready);
      await server(base(), port);
      await ready;
      expect(client.status).toBe('ready');
    });
  });

  describe('usage metrics', () => {
    it('posts counts per flag and variant on each interval', async () => {
      const s = await server();
      const client = track(await createClient({ ...fast, url: s.url, environment: 'production', metricsIntervalMs: 100 }));
      for (let i = 0; i < 30; i++) client.getStringValue('checkout', 'x', { country: i % 3 === 0 ? 'NO' : 'DK' });
      client.getBooleanValue('missing', false);
      while (s.metrics.length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
      const posted = s.metrics[0] as { start: string; end: string; counts: Array<{ flag: string; variant: string | null; count: number }> };
      expect(posted.counts.sort((a, b) => `${a.flag}${a.variant}`.localeCompare(`${b.flag}${b.variant}`))).toEqual([
        { flag: 'checkout', variant: 'new', count: 10 },
        { flag: 'checkout', variant: 'old', count: 20 },
        { flag: 'missing', variant: null, count: 1 },
      ]);
      expect(Date.parse(posted.end)).toBeGreaterThanOrEqual(Date.parse(posted.start));
      expect(s.requests.find((r) => r.method === 'POST')!.path).toBe('/sdk/v1/metrics?environment=production');
      // The post the server saw may still be settling in the client: join it.
      await client.flushMetrics();
      expect(client.stats().metrics.sent).toBe(31);
    });

    it('drops counts with a counter and one error when the server cannot be reached', async () => {
      const s = await server();
      const client = track(await createClient({ ...fast, url: s.url, metricsIntervalMs: 60_000 }));
      const errors: string[] = [];
      client.on(ClientEvent.Error, ({ error }) => {
        if (error.kind === 'metrics') errors.push(error.message);
      });
      await s.close();
      for (let i = 0; i < 5; i++) client.getBooleanValue('dark', false);
      await client.flushMetrics();
      client.getBooleanValue('dark', false);
      await client.flushMetrics();
      expect(client.stats().metrics).toMatchObject({ sent: 0, unsent: 6, pending: 0 });
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatch(/usage metrics dropped/);
    });

    it('sends what is left on close', async () => {
      const s = await server();
      const client = await createClient({ ...fast, url: s.url, metricsIntervalMs: 60_000 });
      client.getBooleanValue('dark', false);
      await client.close();
      expect(s.metrics).toHaveLength(1);
    });
  });

  describe('close()', () => {
    it('closes the stream, stops emitting and keeps answering from memory', async () => {
      const s = await server();
      const client = await createClient({ ...fast, url: s.url, metricsIntervalMs: 50 });
      await s.streamsOpen(1);
      const seen: string[] = [];
      client.on(ClientEvent.Change, () => seen.push('change'));
      await client.close();
      await client.close();
      expect(client.status).toBe('closed');
      while (s.openStreams > 0) await new Promise((resolve) => setTimeout(resolve, 10));
      s.publish({ dark: booleanFlag('dark', false, 2) });
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(seen).toEqual([]);
      expect(client.getBooleanValue('dark', false)).toBe(true);
      expect(await client.waitUntilReady()).toBe(false);
    });
  });
});
