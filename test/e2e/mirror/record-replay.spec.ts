import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mirrorRouteSchema } from '@switchyard/mirror';
import { createLogger } from '@switchyard/observability';
import { startProxy, type RunningProxy } from '../../../apps/proxy/src/proxy-app';
import { parseProxyArgs } from '../../../apps/proxy/src/proxy-args';
import { freePort } from '../../support/free-port';
import {
  ACCOUNT_NUMBER,
  replay,
  SECRET_COOKIE,
  SECRET_SET_COOKIE,
  SECRET_TOKEN,
  sendQuotes,
  startQuoteServer,
  type QuoteServer,
} from './record-replay-fixtures';

const RECORDED = Number(process.env.RECORD_REPLAY_COUNT ?? 10_000);

interface ReplayDocument {
  outcome: string;
  replay: { exchanges: number; durationMs: number; capturedSpanMs: number; speed: number };
  verdicts: Array<{ route: string; outcome: string; reason: string; endpoints: Array<{ fields: Array<{ path: string }> }> }>;
  report: {
    routes: Array<{
      totals: { compared: number; skipped: Record<string, number> };
      endpoints: Array<{ endpoint: string; noiseCompared: number; fields: Array<{ field: string; significant: boolean; raw: number; noise: number }> }>;
    }>;
  };
}

async function recordingProxy(primary: string, dir: string, extra: { sample?: number; maxBytes?: number; maxFiles?: number } = {}): Promise<RunningProxy> {
  return startProxy({
    routes: [
      mirrorRouteSchema.parse({
        name: 'quotes',
        primary,
        // Mirroring is off (sample 0): recording is its own sample, independent of shadow traffic.
        candidate: primary,
        sample: { percent: 0 },
        endpoints: ['/quotes/:symbol'],
        record: { dir, sample: extra.sample ?? 100, redactPaths: ['$.account.number'], ...extra },
      }),
    ],
    port: 0,
    adminPort: 0,
    host: '127.0.0.1',
    maxEventLoopUtilization: 1,
    logger: createLogger(process.env.TEST_LOG_LEVEL ?? 'silent', 'switchyard-proxy'),
  });
}

function captureText(dir: string): string {
  return readdirSync(dir)
    .filter((name) => name.endsWith('.ndjson'))
    .sort()
    .map((name) => readFileSync(join(dir, name), 'utf8'))
    .join('');
}

describe('record and replay', () => {
  const root = mkdtempSync(join(tmpdir(), 'switchyard-record-'));
  let primary: QuoteServer;
  let changed: QuoteServer;
  const big = join(root, 'big');

  beforeAll(async () => {
    [primary, changed] = await Promise.all([startQuoteServer(), startQuoteServer({ currency: 'EUR' })]);
  });

  afterAll(async () => {
    await Promise.all([primary?.close(), changed?.close()]);
    rmSync(root, { recursive: true, force: true });
  });

  it(`records ${RECORDED} exchanges with secrets masked, and replay names the changed field and cancels the timestamps`, async () => {
    const proxy = await recordingProxy(primary.url, big);
    await sendQuotes(proxy.url, RECORDED);
    await proxy.close();
    const recorded = proxy.metrics.registry.getSingleMetric('switchyard_proxy_capture_records_total');
    const written = (await recorded!.get()).values.find((value) => value.labels.outcome === 'written')?.value;
    expect(written).toBe(RECORDED);

    // grep the files: no credential, cookie or masked path in clear.
    const text = captureText(big);
    for (const secret of [SECRET_TOKEN, SECRET_COOKIE, SECRET_SET_COOKIE, ACCOUNT_NUMBER, 'tok-4f9e1c', 'cookie-77aa21', 'set-cookie-5b5b5b', 'ACCT-31337']) {
      expect(text).not.toContain(secret);
    }
    expect(text.split('\n')[0]).toMatch(/^\{"type":"header","format":"switchyard-capture","version":1,/);
    expect(text).toContain('"authorization":"[redacted]"');

    // Noise from two recordings of the same request: no live primary needed.
    const run = await replay(['--capture', big, '--candidate', changed.url, '--speed', '1000', '--concurrency', '16', '--json']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(1);
    const document = JSON.parse(run.stdout) as ReplayDocument;
    expect(document.outcome).toBe('fail');
    expect(document.replay.exchanges).toBe(RECORDED);
    expect(document.report.routes[0].totals).toMatchObject({ compared: RECORDED, skipped: { candidateError: 0, candidateTimeout: 0, bodyTooLarge: 0 } });
    expect(document.verdicts[0].reason).toContain('`$.currency` differs in 100.0 %');
    const endpoint = document.report.routes[0].endpoints.find((e) => e.endpoint === 'GET /quotes/:symbol')!;
    expect(endpoint.noiseCompared).toBeGreaterThan(RECORDED * 0.9);
    const fields = Object.fromEntries(endpoint.fields.map((field) => [field.field, field]));
    expect(fields['$.currency']).toMatchObject({ significant: true, raw: RECORDED });
    // The recorded timestamps and ids differ from the candidate's every time, and between recordings too: noise.
    expect(fields['$.timestamp']).toMatchObject({ significant: false, raw: RECORDED });
    expect(fields['$.requestId']).toMatchObject({ significant: false });
    // The masked account number is masked on the candidate's side too, so it is no difference.
    expect(fields['$.account.number']).toBeUndefined();

    // The same primary as candidate passes: the replay itself adds no difference.
    const same = await replay(['--capture', big, '--candidate', primary.url, '--speed', '1000', '--concurrency', '16']);
    expect(same.code).toBe(0);
    expect(same.stdout).toMatch(/route quotes: pass — 0 % of [\d,]+ comparisons differ after noise cancellation/);
    expect(same.stdout).toMatch(/noise\s+\$\.timestamp/);
  }, 300_000);

  it('replays at the captured pace, and at 5× in about a fifth of the time; a live --primary cancels noise', async () => {
    const dir = join(root, 'paced');
    const proxy = await recordingProxy(primary.url, dir);
    // About 3 s of traffic at one request every 15 ms.
    await sendQuotes(proxy.url, 200, { everyMs: 15 });
    await proxy.close();

    const runAt = async (speed: number) => {
      const run = await replay([
        '--capture',
        dir,
        '--candidate',
        changed.url,
        '--primary',
        primary.url,
        '--speed',
        String(speed),
        '--min-compared',
        '50',
        '--json',
      ]);
      expect(run.stderr).toBe('');
      return JSON.parse(run.stdout) as ReplayDocument;
    };
    const normal = await runAt(1);
    // A stall of the shared machine stretches a run; the quickest of up to three shows the pace the
    // replay keeps (a replay that ignored --speed could never get there).
    let fast = await runAt(5);
    for (let attempt = 1; attempt < 3 && fast.replay.durationMs / normal.replay.durationMs >= 0.35; attempt++) {
      const again = await runAt(5);
      if (again.replay.durationMs < fast.replay.durationMs) fast = again;
    }
    const span = normal.replay.capturedSpanMs;
    process.stdout.write(`replay pace: span ${span} ms, 1× ${normal.replay.durationMs} ms, 5× ${fast.replay.durationMs} ms\n`);
    expect(span).toBeGreaterThan(2500);
    expect(normal.replay.durationMs).toBeGreaterThanOrEqual(span * 0.95);
    expect(normal.replay.durationMs).toBeLessThan(span * 1.5 + 500);
    expect(fast.replay.durationMs).toBeGreaterThanOrEqual((span / 5) * 0.95);
    expect(fast.replay.durationMs / normal.replay.durationMs).toBeGreaterThan(0.12);
    expect(fast.replay.durationMs / normal.replay.durationMs).toBeLessThan(0.35);

    const endpoint = fast.report.routes[0].endpoints[0];
    expect(endpoint.noiseCompared).toBe(200);
    const fields = Object.fromEntries(endpoint.fields.map((field) => [field.field, field]));
    expect(fields['$.currency'].significant).toBe(true);
    expect(fields['$.timestamp']).toMatchObject({ significant: false, raw: 200, noise: 200 });
    expect(fast.outcome).toBe('fail');
  }, 120_000);

  it('rotates segments within maxFiles and samples', async () => {
    const dir = join(root, 'rotating');
    // 64 KiB per segment, at most 3 segments: far less than 2,000 exchanges need.
    const proxy = await recordingProxy(primary.url, dir, { maxBytes: 3 * 64 * 1024, maxFiles: 3, sample: 50 });
    await sendQuotes(proxy.url, 2000);
    await proxy.close();
    const files = readdirSync(dir).filter((name) => name.endsWith('.ndjson'));
    expect(files).toHaveLength(3);
    for (const file of files) expect(readFileSync(join(dir, file)).length).toBeLessThanOrEqual(64 * 1024);
    const sizes = files.map(
      (file) =>
        readFileSync(join(dir, file), 'utf8')
          .split('\n')
          .filter((line) => line.includes('"type":"exchange"')).length,
    );
    expect(sizes.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    // Every kept segment is replayable on its own: header and route lines are repeated.
    const run = await replay(['--capture', dir, '--candidate', primary.url, '--speed', '1000', '--min-compared', '1', '--json']);
    expect(run.code).toBe(0);
  }, 120_000);

  it('refuses a truncated capture or another version in one line, replays up to the damage when asked, and names a target that is down', async () => {
    const dir = join(root, 'damaged');
    const proxy = await recordingProxy(primary.url, dir);
    await sendQuotes(proxy.url, 50);
    await proxy.close();
    const [file] = readdirSync(dir).filter((name) => name.endsWith('.ndjson'));
    const path = join(dir, file);
    const text = readFileSync(path, 'utf8');
    const lines = text.split('\n');
    // Cut the file in the middle of its last record (a proxy killed mid-write).
    writeFileSync(path, text.slice(0, text.length - Math.floor(lines[lines.length - 2].length / 2)));

    const refused = await replay(['--capture', dir, '--candidate', changed.url]);
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(refused.stderr).toContain(
      `${path}:${lines.length - 1}: truncated line (the file ends mid-record); pass --allow-partial to replay the 49 exchanges before it`,
    );

    const partial = await replay(['--capture', dir, '--candidate', primary.url, '--allow-partial', '--speed', '1000', '--min-compared', '10', '--json']);
    expect(partial.stderr.trim().split('\n')).toHaveLength(1);
    expect(partial.stderr).toContain('replaying the 49 exchanges before it');
    expect(partial.code).toBe(0);
    expect((JSON.parse(partial.stdout) as ReplayDocument).replay.exchanges).toBe(49);

    writeFileSync(path, text.replace('"version":1', '"version":99'));
    const other = await replay(['--capture', dir, '--candidate', primary.url]);
    expect(other.code).toBe(1);
    expect(other.stderr).toBe(`switchyard: ${path}: capture format version 99; this switchyard reads version 1 only\n`);

    writeFileSync(path, text);
    const closed = await freePort();
    const down = await replay(['--capture', dir, '--candidate', `http://127.0.0.1:${closed}`, '--speed', '1000']);
    expect(down.code).toBe(1);
    expect(down.stderr).toBe(`switchyard: http://127.0.0.1:${closed} is not answering (ECONNREFUSED); is the replay target up?\n`);

    const usage = await replay(['--capture', dir, '--candidate', 'ftp://x', '--speed', '0']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toBe('switchyard: replay: --candidate must be an http:// or https:// URL, got "ftp://x"\n');
    for (const run of [refused, partial, other, down, usage]) expect(run.stderr).not.toMatch(/\n\s+at /);
  }, 120_000);

  it('takes --record DIR on the proxy command line', () => {
    expect(parseProxyArgs(['--config', 'r.yml', '--record', '/var/capture', '--record-sample', '10'])).toMatchObject({
      record: { dir: '/var/capture', sample: 10, maxBytes: 256 * 1024 * 1024, maxFiles: 8 },
    });
    expect(parseProxyArgs(['--config', 'r.yml', '--record', 'd', '--record-redact', '$.account.number, $..ssn'])).toMatchObject({
      record: { dir: 'd', redactPaths: ['$.account.number', '$..ssn'] },
    });
    expect(() => parseProxyArgs(['--config', 'r.yml', '--record', 'd', '--record-redact', 'account'])).toThrow('--record-redact: "account":');
    expect(() => parseProxyArgs(['--config', 'r.yml', '--record-sample', '10'])).toThrow('--record-sample needs --record DIR');
    expect(parseProxyArgs(['--server', 'http://s', '--token', 't', '--record', '/x'])).toMatchObject({ server: 'http://s', record: { dir: '/x' } });
  });
});
