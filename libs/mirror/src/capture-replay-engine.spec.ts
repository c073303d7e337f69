import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NothingToReplayError, readCaptureDirectory, replayCapture, ReplayTargetDownError, type CaptureReplayOptions } from './capture-replay';
import { captureRecord as record, quote, writeCapture } from './testing/capture-fixtures';
import { MirrorAnalysis } from './mirror-analysis';
import { mirrorRouteSchema } from './mirror-route.schema';

// Real sockets on loopback (the engine's whole job is HTTP): listed as e2e in jest.config.js.

interface QuoteService {
  url: string;
  requests: http.IncomingHttpHeaders[];
  maxInFlight: number;
  close(): Promise<void>;
}

/** Answers /quotes/S<i> with price i (+ `shift`) and a fresh `at`: a field that differs on every call, which only noise cancellation can excuse. */
async function quoteService(shift = 0, holdMs = 0): Promise<QuoteService> {
  const requests: http.IncomingHttpHeaders[] = [];
  let inFlight = 0;
  const service: QuoteService = { url: '', requests, maxInFlight: 0, close: async () => undefined };
  const server = http.createServer((request, response) => {
    requests.push(request.headers);
    inFlight++;
    service.maxInFlight = Math.max(service.maxInFlight, inFlight);
    const symbol = (request.url ?? '').split('/').pop() ?? '';
    const answer = () => {
      inFlight--;
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(quote(symbol, Number(symbol.slice(1)) + shift));
    };
    if (holdMs > 0) setTimeout(answer, holdMs);
    else answer();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  service.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  service.close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return service;
}

const options = (candidate: string, extra: Partial<CaptureReplayOptions> = {}): CaptureReplayOptions => ({
  candidate: new URL(candidate),
  speed: 1000,
  timeoutMs: 5000,
  concurrency: 8,
  headers: {},
  ...extra,
});

describe('capture replay engine', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'capture-replay-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('compares an identical candidate as passing and names the field a changed one differs in, cancelling noise with a live primary', async () => {
    const [same, changed, live] = await Promise.all([quoteService(), quoteService(1), quoteService()]);
    try {
      writeCapture(
        join(root, 'c'),
        [1, 2, 3, 4, 5, 6].map((i) => record(i, i * 10)),
      );
      const capture = await readCaptureDirectory(join(root, 'c'), { allowPartial: false });
      const passing = await replayCapture(capture, options(same.url, { primary: new URL(live.url) }));
      const report = passing.analyses.get('quotes')!.report();
      expect(passing).toMatchObject({ exchanges: 6, sent: 6, stopped: false });
      expect(report.totals).toMatchObject({ compared: 6, mismatched: { afterNoise: 0 } });
      // `at` differs on every call, and the live primary shows that it does.
      expect(report.endpoints[0].fields.find((field) => field.field === '$.at')).toMatchObject({ significant: false });

      const failing = (await replayCapture(capture, options(changed.url, { primary: new URL(live.url) }))).analyses.get('quotes')!.report();
      expect(failing.totals).toMatchObject({ compared: 6, mismatched: { afterNoise: 6 } });
      expect(failing.endpoints[0].fields.filter((field) => field.significant).map((field) => field.field)).toEqual(['$.price']);
      // Masked credentials are never sent; every request says it is a replay.
      expect(changed.requests.every((headers) => headers.authorization === undefined && headers['x-switchyard-replay'] === '1')).toBe(true);
    } finally {
      await Promise.all([same.close(), changed.close(), live.close()]);
    }
  });

  it('records into the analysis the caller gives, for one route only, connecting where connectTo says with the Host as written', async () => {
    const candidate = await quoteService();
    try {
      writeCapture(join(root, 'c'), [record(1, 10), record(2, 20, 'other'), record(3, 30)]);
      const capture = await readCaptureDirectory(join(root, 'c'), { allowPartial: false });
      const route = mirrorRouteSchema.parse({
        name: 'staging-quotes',
        primary: 'http://quotes.staging.svc',
        candidate: 'http://quotes-shadow.staging.svc',
        sample: { percent: 100 },
      });
      const analysis = new MirrorAnalysis(route);
      const run = await replayCapture(capture, {
        ...options('http://quotes-shadow.staging.svc'),
        route: 'quotes',
        analysisFor: () => analysis,
        connectTo: (target) => (target.hostname === 'quotes-shadow.staging.svc' ? new URL(candidate.url) : target),
      });
      expect(run).toMatchObject({ exchanges: 2, sent: 2 });
      expect([...run.analyses.values()]).toEqual([analysis]);
      expect(analysis.report().totals.compared).toBe(2);
      expect(candidate.requests.map((headers) => headers.host)).toEqual(['quotes-shadow.staging.svc', 'quotes-shadow.staging.svc']);
      await expect(replayCapture(capture, { ...options(candidate.url), route: 'nothing' })).rejects.toThrow(NothingToReplayError);
    } finally {
      await candidate.close();
    }
  });

  it('keeps at most `concurrency` requests in flight', async () => {
    const slow = await quoteService(0, 20);
    try {
      // Twelve requests captured at the same instant: all due at once.
      writeCapture(
        join(root, 'c'),
        Array.from({ length: 12 }, (_, i) => record(i, 0)),
      );
      const run = await replayCapture(await readCaptureDirectory(join(root, 'c'), { allowPartial: false }), options(slow.url, { concurrency: 3 }));
      expect(run.sent).toBe(12);
      expect(slow.maxInFlight).toBeLessThanOrEqual(3);
      expect(slow.requests).toHaveLength(12);
    } finally {
      await slow.close();
    }
  });

  it('stops at once when its signal fires: nothing more is sent and what was cut short is not counted', async () => {
    const candidate = await quoteService();
    try {
      // An hour of captured traffic at the captured pace: only the signal can end it early.
      writeCapture(join(root, 'c'), [record(1, 0), record(2, 3_600_000), record(3, 7_200_000)]);
      const controller = new AbortController();
      const started = performance.now();
      const running = replayCapture(await readCaptureDirectory(join(root, 'c'), { allowPartial: false }), {
        ...options(candidate.url),
        speed: 1,
        analysisFor: (name) => {
          const analysis = new MirrorAnalysis(mirrorRouteSchema.parse({ name, primary: candidate.url, candidate: candidate.url, sample: { percent: 100 } }));
          // The first exchange is recorded: stop while the replay waits for the second one's time.
          const recordCaptured = analysis.recordCaptured.bind(analysis);
          analysis.recordCaptured = async (exchange) => {
            const outcome = await recordCaptured(exchange);
            controller.abort();
            return outcome;
          };
          return analysis;
        },
        signal: controller.signal,
      });
      const run = await running;
      expect(run).toMatchObject({ exchanges: 3, sent: 1, stopped: true });
      expect(run.analyses.get('quotes')!.report().totals.compared).toBe(1);
      expect(candidate.requests).toHaveLength(1);
      // Bounded by the abort, not the hour; generous for a loaded machine.
      expect(performance.now() - started).toBeLessThan(10_000);
    } finally {
      await candidate.close();
    }
  });

  it('names a target that refuses connections', async () => {
    const gone = await quoteService();
    await gone.close();
    writeCapture(join(root, 'c'), [record(1, 0)]);
    await expect(replayCapture(await readCaptureDirectory(join(root, 'c'), { allowPartial: false }), options(gone.url))).rejects.toThrow(ReplayTargetDownError);
  });
});
