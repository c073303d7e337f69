import http from 'node:http';
import type { RunningProxy } from '../../../apps/proxy/src/proxy-app';
import { waitFor } from '../../support/test-server';
import { send, startFixtures, type Fixtures } from './fixture-services';
import { settled, startTestProxy } from './proxy-under-test';

/** The proxy's gauge of the share of sampled requests it currently mirrors. */
async function admittedShare(proxy: RunningProxy): Promise<number> {
  const text = await (await fetch(`${proxy.adminUrl}/metrics`)).text();
  const line = /^switchyard_mirror_admitted_share (\S+)$/m.exec(text);
  if (!line) throw new Error('switchyard_mirror_admitted_share is missing from /metrics');
  return Number(line[1]);
}

/**
 * While the event loop is saturated the mirror yields to live traffic: sampled requests are shed
 * (counted as skipped: overload, and as dropped) instead of slowing the live path, and mirroring
 * resumes in full once the loop has room again. The saturation is made here by occupying the
 * loop the in-process proxy shares with the test, 95 ms of every 100.
 */
describe('mirror load shedding', () => {
  let fixtures: Fixtures<'primary' | 'candidate'>;
  let proxy: RunningProxy;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });

  beforeAll(async () => {
    fixtures = await startFixtures({ primary: 'primary', candidate: 'match' });
    proxy = await startTestProxy(
      [{ name: 'shed', primary: fixtures.urls.primary, candidate: fixtures.urls.candidate, sample: { percent: 100 }, timeoutMs: 2000 }],
      // Well above what serial test requests keep the loop at (even on a busy CI machine), well below the burner's 95%.
      { maxEventLoopUtilization: 0.75 },
    );
  });

  afterAll(async () => {
    agent.destroy();
    await proxy.close();
    await fixtures.close();
  });

  it('sheds shadow copies while the loop is saturated, keeps every live response, and resumes after', async () => {
    const direct = await send(`${fixtures.urls.primary}/static/small`, { agent });
    const burner = setInterval(() => {
      const until = performance.now() + 95;
      while (performance.now() < until);
    }, 100);
    try {
      await waitFor(async () => (await admittedShare(proxy)) < 0.5, 15_000, 'the shedder to back off');
      for (let i = 0; i < 40; i++) {
        const res = await send(`${proxy.url}/static/small`, { agent });
        expect(res.status).toBe(200);
        expect(res.body.equals(direct.body)).toBe(true);
      }
    } finally {
      clearInterval(burner);
    }
    const saturated = await settled(proxy, 'shed');
    expect(saturated.totals.skipped.overload).toBeGreaterThan(0);
    expect(saturated.totals.compared).toBeLessThan(saturated.totals.sampled);
    const metrics = await (await fetch(`${proxy.adminUrl}/metrics`)).text();
    expect(metrics).toMatch(/switchyard_mirror_skipped_total\{route="shed",reason="overload"\} [1-9]/);
    expect(metrics).toMatch(/switchyard_mirror_dropped_total\{route="shed"\} [1-9]/);

    await waitFor(async () => (await admittedShare(proxy)) === 1, 10_000, 'mirroring to resume in full');
    const before = proxy.report('shed').routes[0].totals;
    for (let i = 0; i < 20; i++) expect((await send(`${proxy.url}/static/small`, { agent })).status).toBe(200);
    const after = await waitFor(
      () => {
        const totals = proxy.report('shed').routes[0].totals;
        return totals.compared - before.compared === 20 ? totals : undefined;
      },
      10_000,
      'the 20 requests after the load to be compared',
    );
    expect(after.skipped.overload).toBe(before.skipped.overload);
  });
});
