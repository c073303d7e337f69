import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@switchyard/config';
import { ReplayRefusal } from '@switchyard/deploy';
import { captureHeaderLine } from '@switchyard/mirror';
import type { MirrorReportsService } from './mirror-reports.service';
import { MirrorReplayService } from './mirror-replay.service';
import type { MirrorRoutesService } from './mirror-routes.service';

// What the server refuses before a replay sends anything: captures outside or missing under
// CAPTURE_ROOT, and targets the egress policy forbids. Replays that send run in test/e2e/deploy.
describe('MirrorReplayService refusals', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'capture-root-'));
    // Two exchanges of route quotes, 250 ms apart, in the recorder's format.
    const exchange = (offsetMs: number) => ({
      type: 'exchange',
      route: 'quotes',
      offsetMs,
      request: { method: 'GET', url: '/quotes/S1', headers: {}, body: {} },
      primary: { status: 200, headers: {}, body: { text: '{}' }, ms: 1 },
    });
    mkdirSync(join(root, 'staging', 'quotes'), { recursive: true });
    const lines = [captureHeaderLine(new Date(), 1), exchange(0), exchange(250)].map((line) => JSON.stringify(line));
    writeFileSync(join(root, 'staging', 'quotes', '00000001.ndjson'), `${lines.join('\n')}\n`);
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const service = (env: Record<string, string>) =>
    new MirrorReplayService(
      loadConfig(env),
      {} as MirrorReportsService,
      { get: () => Promise.reject(new Error('not reached')) } as unknown as MirrorRoutesService,
    );
  const refusal = (work: Promise<unknown>) =>
    work.then(
      () => 'no refusal',
      (error: unknown) => (error instanceof ReplayRefusal ? error.message : `not a refusal: ${String(error)}`),
    );

  it('tells what a capture holds, or why it cannot be replayed', async () => {
    const replays = service({ CAPTURE_ROOT: root });
    await expect(replays.inspect('staging/quotes', 'quotes')).resolves.toEqual({ exchanges: 2, capturedSpanMs: 250 });
    expect(await refusal(replays.inspect('staging/nope', 'quotes'))).toBe('capture staging/nope does not exist under CAPTURE_ROOT');
    expect(await refusal(replays.inspect('../etc', 'quotes'))).toBe('capture "../etc" must stay inside the server’s CAPTURE_ROOT: no "." or ".." segments');
    expect(await refusal(replays.inspect('staging', 'quotes'))).toBe(`capture staging: staging holds no capture segments (*.ndjson)`);
    expect(await refusal(replays.inspect('staging/quotes', 'orders'))).toBe(
      'capture staging/quotes holds no exchanges of route orders (it holds quotes; set darkLaunch.replay.route)',
    );
    expect(await refusal(service({}).inspect('staging/quotes', 'quotes'))).toBe(
      'this server has no CAPTURE_ROOT, so darkLaunch.replay cannot read captures; set it to the directory holding them',
    );
  });

  it('refuses replay targets the egress policy forbids, as it refuses them for mirror routes', async () => {
    const input = { route: 'quotes', window: 'w1', capture: 'staging/quotes', capturedRoute: 'quotes', speed: 1 };
    const signal = new AbortController().signal;
    expect(
      await refusal(service({ CAPTURE_ROOT: root }).replay({ ...input, candidate: 'http://127.0.0.1:8080', primary: 'http://quotes.staging.svc' }, signal)),
    ).toBe(
      "the replay's candidate http://127.0.0.1:8080 is refused by the egress policy: 127.0.0.1 is a loopback address; only MIRROR_ALLOWED_TARGETS can allow it",
    );
    const listed = service({ CAPTURE_ROOT: root, MIRROR_ALLOWED_TARGETS: '*.staging.svc' });
    expect(await refusal(listed.replay({ ...input, candidate: 'http://quotes-shadow.staging.svc', primary: 'http://quotes.prod.svc' }, signal))).toBe(
      "the replay's primary http://quotes.prod.svc is refused by the egress policy: quotes.prod.svc:80 is not in MIRROR_ALLOWED_TARGETS",
    );
  });
});
