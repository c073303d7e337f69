import http from 'node:http';
import type { Browser, Page } from 'playwright-core';
import type { MirrorReport } from '@switchyard/mirror';
import { createLogger } from '@switchyard/observability';
import type { MirrorReport as PageReport } from '@switchyard/mirror';
import { startConnectedProxy, type ConnectedProxy } from '../../../apps/proxy/src/connected-proxy';
import { ApiClient } from '../../support/api-client';
import { requireTool } from '../../support/system-tool';
import { startTestServer, waitFor, type TestServer } from '../../support/test-server';
import { inBatches, send, startFixtures, type Fixtures } from '../mirror/fixture-services';
import { collectProblems, launchChromium, screenshot } from './browser';
import { ensureUiBuilt } from './ensure-ui-built';

const ADMIN = { name: 'Grace Admin', email: 'grace@example.com', password: 'a long admin password' };
// The `changed` fixture adds 1 to the price of /quotes/:symbol and nothing else; ACME costs 380.86 on the primary.
const QUOTES = 12;
const USERS = 24;

/**
 * The dark-launch report filled the real way: a route created through the API, a connected proxy
 * mirroring traffic to a candidate that changes one field on one endpoint (a second primary gives
 * the noise baseline), the proxy's report batch shipped to the server, and the page read in Chromium.
 */
(requireTool('chromium', 'chromium') ? describe : describe.skip)('dark-launch report in Chromium', () => {
  let server: TestServer;
  let api: ApiClient;
  let fixtures: Fixtures<'primary' | 'secondary' | 'candidate'>;
  let proxy: ConnectedProxy;
  let browser: Browser;
  let page: Page;
  let problems: string[];
  let routeReport: MirrorReport['routes'][number];
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });

  beforeAll(async () => {
    await ensureUiBuilt();
    // The fixtures listen on loopback, which mirror routes may target only when listed.
    server = await startTestServer({ env: { MIRROR_ALLOWED_TARGETS: '127.0.0.1' } });
    api = new ApiClient(server.url, server.adminToken);
    expect((await api.post('/api/v1/setup', { adminToken: server.adminToken, ...ADMIN })).status).toBe(201);
    fixtures = await startFixtures({ primary: 'primary', secondary: 'primary', candidate: 'changed' });
    const created = await api.post('/api/v1/mirror/routes', {
      name: 'quotes',
      match: { host: 'quotes.test' },
      primary: fixtures.urls.primary,
      candidate: fixtures.urls.candidate,
      secondary: fixtures.urls.secondary,
      sample: { percent: 100 },
      endpoints: ['/quotes/:symbol', '/users/:id'],
      verdict: { minCompared: 10, maxMismatchPercent: 1 },
    });
    expect(created.status).toBe(201);
    proxy = await startConnectedProxy({
      // In process the event loop is the test's own too: no load shedding.
      maxEventLoopUtilization: 1,
      server: server.url,
      token: await api.token_('proxy', ['sdk:staging', 'mirror:report:quotes']),
      environment: 'staging',
      port: 0,
      adminPort: 0,
      host: '127.0.0.1',
      // Shipped by an explicit flush below, so the report holds exactly this traffic.
      reportIntervalMs: 60_000,
      logger: createLogger(process.env.TEST_LOG_LEVEL ?? 'silent', 'switchyard-proxy'),
    });
    await proxy.routesReady;
    await waitFor(() => proxy.routes().some((route) => route.name === 'quotes'), 10_000, 'the proxy to receive route quotes');

    // Less traffic on the endpoint that differs, so "worst first" is not "busiest first".
    const get = (path: string) => send(`${proxy.url}${path}`, { headers: { host: 'quotes.test' }, agent });
    await inBatches(QUOTES, 4, async () => expect((await get('/quotes/ACME')).status).toBe(200));
    await inBatches(USERS, 4, async (i) => expect((await get(`/users/u${i}`)).status).toBe(200));
    await waitFor(() => proxy.report('quotes').routes[0].totals.compared === QUOTES + USERS, 15_000, 'every mirrored exchange to be compared');
    await proxy.shipper.flush();
    expect(proxy.shipper.stats).toEqual({ queued: 0, dropped: 0 });
    const report: MirrorReport = (await api.get('/api/v1/mirror/reports?route=quotes')).body;
    // The page keeps its own copy of the report type (the browser bundle cannot import libs/mirror): typecheck fails here when they drift.
    const forThePage: PageReport = report;
    expect(forThePage.routes[0].totals.compared).toBe(QUOTES + USERS);
    routeReport = report.routes[0];

    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: { width: 1360, height: 900 } })).newPage();
    page.setDefaultTimeout(15_000);
    problems = collectProblems(page);
    await page.goto(`${server.url}/dark-launch`);
    await page.getByLabel('Email').fill(ADMIN.email);
    await page.getByLabel('Password').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Dark launch' }).waitFor();
  }, 120_000);

  afterAll(async () => {
    agent.destroy();
    await browser?.close();
    await proxy?.close();
    await fixtures?.close();
    await server?.close();
  });

  afterEach(() => {
    expect(problems.filter((p) => p.startsWith('pageerror'))).toEqual([]);
  });

  it('shows the route, its noise baseline, endpoints worst first with statuses and skips, the differing field side by side, latency and suggested ignore rules', async () => {
    const routeRow = page.getByRole('row', { name: /^quotes/ });
    await routeRow.waitFor();
    expect(await routeRow.getByRole('cell').allTextContents()).toEqual([
      'quotes',
      'quotes.test/',
      `${fixtures.urls.primary} → ${fixtures.urls.candidate}`,
      '100%',
      expect.stringMatching(/^just now by \S+/),
    ]);
    await routeRow.getByRole('link', { name: 'quotes' }).click();
    expect(new URL(page.url()).search).toBe('?route=quotes');

    const report = page.getByRole('region', { name: /Report for quotes/ });
    await report.getByText(`${QUOTES + USERS} compared, mismatch 33.3% after noise (100.0% raw); fails above 1% with at least 10 compared.`).waitFor();
    expect(await report.getByRole('heading', { level: 2 }).textContent()).toBe('Report for quotes fail');

    // The second primary answers every mirrored request too, so noise is measured against it.
    expect(await report.locator('p.noise-source').textContent()).toBe(
      'Noise baseline: a secondary — a second copy of the primary answers the same requests, and fields that differ between the two are not held against the candidate.',
    );

    // The candidate's one real difference outranks the busier endpoint whose differences are all noise.
    const endpoints = report.locator('details.endpoint');
    expect(await endpoints.locator('summary').allTextContents()).toEqual([
      `GET /quotes/:symbol fail 100.0% after noise, 100.0% raw — ${QUOTES} compared`,
      `GET /users/:id pass 0% after noise, 100.0% raw — ${USERS} compared`,
    ]);
    // The failing endpoint is open to begin with; the passing one waits to be asked.
    const quotes = endpoints.nth(0);
    expect(await quotes.getAttribute('open')).not.toBeNull();
    expect(await endpoints.nth(1).getAttribute('open')).toBeNull();

    // Every exchange was mirrored and compared (no load shedding, no budget, no candidate failure), and answered 200 on both sides.
    expect(Object.values(routeReport.totals.skipped).every((count) => count === 0)).toBe(true);
    expect(await quotes.locator('p.endpoint-counts').textContent()).toBe(
      `Seen ${QUOTES} · sampled ${QUOTES} · compared ${QUOTES} (${QUOTES} with a noise baseline) · nothing skipped`,
    );
    expect(await quotes.locator('.skip-reason').count()).toBe(0);
    await quotes.getByText('Status: all 200 → 200', { exact: true }).waitFor();
    expect(await quotes.locator('table.status-matrix').count()).toBe(0);

    const fieldRows = quotes.locator('table.fields-table tbody tr');
    const price = fieldRows.filter({ hasText: '$.price' });
    expect(await price.getByRole('cell').allTextContents()).toEqual(['$.price JSON significant', String(QUOTES), '0', `value ${QUOTES}`, 'Examples']);
    // Clock and request-id fields differ on every exchange, but as much as the primary differs from itself.
    for (const noisy of ['$.timestamp', '$.requestId']) {
      const cells = await fieldRows.filter({ hasText: noisy }).getByRole('cell').allTextContents();
      expect(cells.slice(0, 2).map((cell) => cell.trim())).toEqual([`${noisy} JSON`, String(QUOTES)]);
      expect(Number(cells[2])).toBeGreaterThan(0);
    }
    expect(await fieldRows.filter({ hasText: 'significant' }).count()).toBe(1);

    await price.getByRole('button', { name: 'Examples' }).click();
    const examples = quotes.getByLabel('Examples of $.price');
    const first = examples.locator('.example').first();
    await first.getByText('GET /quotes/ACME — value at $.price').waitFor();
    const primary = first.locator('.side-by-side > div').nth(0);
    const candidate = first.locator('.side-by-side > div').nth(1);
    expect(await primary.locator('h4').textContent()).toBe('Primary (200)');
    expect(await primary.locator('pre.diff-value').textContent()).toBe('380.86');
    expect(await candidate.locator('h4').textContent()).toBe('Candidate (200)');
    expect(await candidate.locator('pre.diff-value').textContent()).toBe('381.86');
    // Whole bodies under the values, so the rest of the response can be compared by eye.
    expect(await primary.locator('pre.log').textContent()).toContain('"symbol": "ACME"');
    expect(await candidate.locator('pre.log').textContent()).toContain('"price": 381.86');
    // Side by side: the same row, primary on the left.
    const [left, right] = [await primary.boundingBox(), await candidate.boundingBox()];
    expect(left && right && Math.abs(left.y - right.y) < 2 && left.x + left.width <= right.x).toBe(true);

    // Latency: p50/p95/p99 bars for both sides, each with a figure in milliseconds.
    const chart = quotes.getByRole('img', { name: 'Latency percentiles, primary against candidate' });
    const labels = await chart.locator('text').allTextContents();
    expect(labels.filter((_, i) => i % 2 === 0)).toEqual(['p50 P', 'p50 C', 'p95 P', 'p95 C', 'p99 P', 'p99 C']);
    for (const figure of labels.filter((_, i) => i % 2 === 1)) expect(figure).toMatch(/^\d+(\.\d)?$/);
    const stored = (await api.get('/api/v1/mirror/reports?route=quotes')).body.routes[0].endpoints[0].latencyMs;
    expect(labels[1]).toBe(String(Math.round(stored.primary.p50 * 10) / 10));
    expect(labels[3]).toBe(String(Math.round(stored.candidate.p50 * 10) / 10));

    // The clock and request-id fields differ between the primary and its second copy on every request of both endpoints.
    const ignores = report.getByRole('region', { name: 'Suggested ignore rules' });
    await ignores.getByText('These fields differ between two responses of the primary itself').waitFor();
    expect(await ignores.locator('p').textContent()).toBe(
      'These fields differ between two responses of the primary itself, so they say nothing about the candidate; consider adding them to compare.ignore.',
    );
    expect(await ignores.locator('thead th').allTextContents()).toEqual(['Rule', 'Endpoints', 'Evidence', 'Examples: primary ↔ secondary']);
    const ignoreRows = ignores.locator('tbody tr');
    expect(await ignoreRows.locator('td:first-child').allTextContents()).toEqual(['$.requestId', '$.timestamp']);
    const uuid = '"[0-9a-f-]{36}"';
    for (const [row, value] of [
      [ignoreRows.nth(0), uuid],
      [ignoreRows.nth(1), '\\d+(\\.\\d+)?'],
    ] as const) {
      const cells = await row.getByRole('cell').allTextContents();
      expect(cells.slice(1, 3)).toEqual(['GET /quotes/:symbol, GET /users/:id', `${QUOTES + USERS} of ${QUOTES + USERS} baseline pairs (100.0%)`]);
      const pairs = await row.locator('ul.value-pairs li').allTextContents();
      expect(pairs).toHaveLength(3);
      for (const pair of pairs) expect(pair).toMatch(new RegExp(`^${value} ↔ ${value}$`));
    }

    // The whole report, down to the endpoint whose differences are all noise, and the suggested ignore rules.
    await screenshot(page, 'dark-launch-report', await page.locator('html').evaluate((html) => html.scrollHeight));
  }, 60_000);
});
