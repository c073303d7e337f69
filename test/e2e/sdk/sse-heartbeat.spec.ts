import { startTestServer, type TestServer } from '../../support/test-server';

/**
 * Every SSE endpoint sends `: ping` comments every SSE_HEARTBEAT (one shared EventStreams), so an
 * operator who shortens it for an aggressive load balancer gets it on every stream, not only some.
 */
describe('SSE heartbeats follow SSE_HEARTBEAT', () => {
  const HEARTBEAT_MS = 200;
  let server: TestServer;
  const aborts: AbortController[] = [];

  beforeAll(async () => {
    server = await startTestServer({ redis: 'none', env: { SSE_HEARTBEAT: `${HEARTBEAT_MS}ms` } });
  });
  afterAll(async () => {
    for (const abort of aborts) abort.abort();
    await server.close();
  });

  /** Opens a stream and resolves with the arrival times of its first `count` heartbeats. */
  async function heartbeats(path: string, count: number): Promise<number[]> {
    const abort = new AbortController();
    aborts.push(abort);
    const response = await fetch(`${server.url}${path}`, {
      headers: { authorization: `Bearer ${server.adminToken}`, accept: 'text/event-stream' },
      signal: abort.signal,
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const times: number[] = [];
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      let index: number;
      while ((index = buffer.indexOf('\n\n')) >= 0) {
        if (buffer.slice(0, index) === ': ping') times.push(performance.now());
        buffer = buffer.slice(index + 2);
      }
      if (times.length >= count) break;
    }
    abort.abort();
    return times;
  }

  it.each([
    ['the OFREP change stream', '/ofrep/v1/events?environment=development'],
    ['the SDK stream', '/sdk/v1/stream?environment=development'],
    ['the admin UI live stream', '/api/v1/live'],
    ['the proxies’ mirror route stream', '/api/v1/mirror/routes/stream'],
  ])('%s', async (_name, path) => {
    const times = await heartbeats(path, 3);
    expect(times).toHaveLength(3);
    // The default is 15 s; three beats spaced by the configured interval (with room for a loaded CI machine).
    for (const gap of [times[1] - times[0], times[2] - times[1]]) {
      expect(gap).toBeGreaterThan(HEARTBEAT_MS / 2);
      expect(gap).toBeLessThan(HEARTBEAT_MS * 10);
    }
  });
});
