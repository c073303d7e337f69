import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mirrorRouteSchema } from '@switchyard/mirror';
import { createLogger } from '@switchyard/observability';
import { Registry } from 'prom-client';
import { CaptureRecorder } from './recorder';

describe('CaptureRecorder', () => {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-recorder-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('drops and counts what arrives while the writer is behind, without ever making the caller wait', async () => {
    const route = mirrorRouteSchema.parse({ name: 'r', primary: 'http://127.0.0.1:1', candidate: 'http://127.0.0.1:2', sample: { percent: 0 } });
    const registry = new Registry();
    // Room for about ten queued exchanges of ~2 KB.
    const recorder = new CaptureRecorder(
      { dir, sample: 100, maxBytes: 1024 * 1024, maxFiles: 2 },
      { logger: createLogger('silent', 'test'), registry, maxPendingBytes: 20_000 },
    );
    const body = Buffer.from(JSON.stringify({ text: 'x'.repeat(900) }));
    for (let i = 0; i < 100; i++) {
      // Synchronous: the live path hands the exchange over and moves on.
      recorder.enqueue({
        route,
        offsetMs: i,
        method: 'GET',
        url: `/q/${i}`,
        requestHeaders: { authorization: 'Bearer never-in-clear' },
        requestBody: Buffer.alloc(0),
        status: 200,
        responseHeaders: { 'content-type': 'application/json' },
        responseBody: body,
        ms: 1,
        bytes: body.length + 1024,
      });
    }
    await recorder.close();
    expect(recorder.counts.dropped_backlog).toBeGreaterThan(80);
    expect(recorder.counts.written + recorder.counts.dropped_backlog).toBe(100);
    const metric = await registry.getSingleMetric('switchyard_proxy_capture_records_total')!.get();
    expect(metric.values.find((value) => value.labels.outcome === 'dropped_backlog')?.value).toBe(recorder.counts.dropped_backlog);
    const text = readdirSync(dir)
      .map((name) => readFileSync(join(dir, name), 'utf8'))
      .join('');
    expect(text.split('\n').filter((line) => line.startsWith('{"type":"exchange"'))).toHaveLength(recorder.counts.written);
    expect(text).not.toContain('never-in-clear');
  });

  it("samples by the route's own record.sample when it has one, else by the directory's", async () => {
    const route = (name: string, record?: object) =>
      mirrorRouteSchema.parse({ name, primary: 'http://127.0.0.1:1', candidate: 'http://127.0.0.1:2', sample: { percent: 0 }, ...(record ? { record } : {}) });
    const recorder = new CaptureRecorder(
      { dir: join(dir, 'sampled'), sample: 100, maxBytes: 1024 * 1024, maxFiles: 2 },
      { logger: createLogger('silent', 'test') },
    );
    // A connected route's `record:` (its dir is the server's wish, not used): sample 0 opts it out.
    const quiet = route('quiet', { dir: 'ignored', sample: 0 });
    const plain = route('plain');
    const taps = (r: typeof plain) =>
      Array.from({ length: 50 }, () => {
        const request = { method: 'GET', url: '/', headers: {} } as IncomingMessage;
        recorder.begin(r, request, performance.now());
        return CaptureRecorder.tapOf(request);
      }).filter((tap) => tap !== undefined).length;
    expect({ quiet: taps(quiet), plain: taps(plain) }).toEqual({ quiet: 0, plain: 50 });
    await recorder.close();
  });
});
