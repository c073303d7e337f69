import type { Browser, Page } from 'playwright-core';
import { ApiClient } from '../../support/api-client';
import type { KubeSimulator } from '../../support/kube-simulator/kube-simulator';
import { FixtureExporter, PrivatePrometheus } from '../../support/prometheus';
import { requireTool } from '../../support/system-tool';
import { startTestServer, waitFor, type TestServer } from '../../support/test-server';
import type { PrivateRegistry } from '../deploy/private-registry';
import {
  atGate,
  digest,
  ended,
  imageIn,
  manifestsFor,
  pipelineFor,
  publishRelease,
  registerPolicy,
  repositoryOf,
  rolloutOf,
  startCluster,
  startRegistry,
} from '../rollout/rollout-fixture';
import { collectProblems, launchChromium, screenshot } from './browser';
import { ensureUiBuilt } from './ensure-ui-built';

const ADMIN = { name: 'Grace Admin', email: 'grace@example.com', password: 'a long admin password' };
const SERVICE = 'quotes';
const ready = requireTool('chromium', 'chromium') && requireTool('prometheus', 'prometheus');

/**
 * The rollout view of a release that really rolls out: staging, the approval gate approved in
 * Chromium, a canary analysed against a real Prometheus (two 1 s iterations), promotion to
 * production in the Kubernetes simulator, and a rollback started from the page.
 */
(ready ? describe : describe.skip)('rollout view in Chromium', () => {
  let cluster: Awaited<ReturnType<typeof startCluster>>;
  let sim: KubeSimulator;
  let exporter: FixtureExporter;
  let prometheus: PrivatePrometheus;
  let server: TestServer;
  let api: ApiClient;
  let browser: Browser;
  let page: Page;
  let problems: string[];
  let releaseId: string;
  let registry: PrivateRegistry;

  const canary = { interval: '1s', iterations: 2, minSamples: 20, failureLimit: 0 };
  const image = (n: number) => `${repositoryOf(SERVICE)}@${digest(n)}`;

  beforeAll(async () => {
    await ensureUiBuilt();
    [cluster, exporter, registry] = await Promise.all([startCluster(), FixtureExporter.start(), startRegistry()]);
    sim = cluster.sim;
    // A healthy canary: errors a little above stable's, within both max 0.01 and 1.5 × stable.
    exporter.setTraffic(SERVICE, 'stable', { rps: 200, errorRate: 0.004 });
    exporter.setTraffic(SERVICE, 'canary', { rps: 200, errorRate: 0.005 });
    prometheus = await PrivatePrometheus.start([exporter.target]);
    server = await startTestServer({
      redis: 'none',
      env: { KUBECONFIG: cluster.kubeconfig, PROMETHEUS_URL: prometheus.url, ROLLOUT_POLL_INTERVAL: '200ms', ROLLOUT_LEASE: '5s' },
    });
    api = new ApiClient(server.url, server.adminToken);
    expect((await api.post('/api/v1/setup', { adminToken: server.adminToken, ...ADMIN })).status).toBe(201);
    const ci = api.withToken(await api.token_('ci-jenkins', ['deploy']));
    // Four-eyes: the admin token created the CI token, so another token approves main.1.
    const approver = api.withToken(await api.token_('release-manager', ['approve']));
    await registerPolicy(api, SERVICE);
    const release = (n: number) => publishRelease(ci, SERVICE, `main.${n}`, digest(n), pipelineFor(SERVICE, { canary }), manifestsFor(SERVICE));

    // main.1 is production's stable track (a first deploy has no canary), approved over the API.
    const first = await release(1);
    expect((await ci.post(`/api/v1/releases/${first}/rollout`, {})).status).toBe(201);
    await rolloutOf(api, first, atGate('production'), 'main.1 at the production gate');
    expect((await approver.post(`/api/v1/releases/${first}/approve`, { comment: 'first deploy' })).status).toBe(200);
    expect((await rolloutOf(api, first, ended, 'main.1 in production')).status).toBe('succeeded');

    // main.2 goes through staging and waits at the gate for a person in the browser.
    releaseId = await release(2);
    expect((await ci.post(`/api/v1/releases/${releaseId}/rollout`, {})).status).toBe(201);
    await rolloutOf(api, releaseId, atGate('production'), 'main.2 at the production gate');
    // The canary must have served minSamples before the analysis, or it would hold as inconclusive.
    await prometheus.waitForValue(`sum(increase(http_requests_total{service="${SERVICE}",track="canary"}[1m]))`, (v) => v >= 20);

    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: { width: 1360, height: 900 } })).newPage();
    page.setDefaultTimeout(15_000);
    problems = collectProblems(page);
    await page.goto(`${server.url}/releases/${releaseId}`);
    await page.getByLabel('Email').fill(ADMIN.email);
    await page.getByLabel('Password').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: /quotes main\.2/ }).waitFor();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await Promise.all([cluster?.dispose(), prometheus?.stop(), exporter?.stop(), registry?.stop()]);
  });

  afterEach(() => {
    expect(problems.filter((p) => p.startsWith('pageerror'))).toEqual([]);
  });

  const panel = () => page.getByRole('region', { name: 'Rollout', exact: true });
  const stepRows = async () => (await panel().locator('table.steps-table tbody tr').allTextContents()).map((row) => row.replace(/\d+(\.\d+)? (ms|s)/, ''));
  const environmentRow = (environment: string) => panel().locator('table.environments-table tbody tr').filter({ hasText: environment });

  it('shows the approval gate with its plan, and Approve in the page moves the release past it', async () => {
    const gate = panel().getByRole('region', { name: 'Approval gate' });
    await gate.getByRole('heading', { name: 'Approval needed for production' }).waitFor();
    // What approving does, in words: each object's apply against the live cluster, and the analysis to come.
    const planned = gate.getByRole('list', { name: 'Planned changes' });
    expect(await planned.locator(':scope > li > strong').allTextContents()).toEqual([
      `update Service/${SERVICE}`,
      `update Deployment/${SERVICE}`,
      `create Deployment/${SERVICE}-canary`,
    ]);
    await planned.getByText(`spec.template.spec.containers[${SERVICE}].image: ${image(1)} → ${image(2)}`).waitFor();
    expect(await gate.getByTestId('plan-canary').textContent()).toBe(
      `Canary ${SERVICE}-canary (1 replica), analysed 2 × 1s with at least 20 requests, failing after 1 failed iteration: error-rate (max 0.01, ≤ 1.5× stable)`,
    );
    await screenshot(page, 'rollout-gate', 1400);
    await gate.getByText('Plan as JSON').click();
    expect(JSON.parse((await gate.locator('pre').textContent()) ?? 'null')).toMatchObject({
      namespace: `${SERVICE}-prod`,
      canary: { deployment: `${SERVICE}-canary`, replicas: 1, analysis: canary },
    });
    expect(await environmentRow('production').locator('td').nth(1).textContent()).toMatch(/^main\.1 /);

    const approve = gate.getByRole('button', { name: 'Approve' });
    expect(await approve.isDisabled()).toBe(true);
    await gate.getByLabel('Comment').fill('staging is green');
    await approve.click();
    await gate.waitFor({ state: 'detached' });
    const decided = (await api.get(`/api/v1/releases/${releaseId}/rollout`)).body;
    expect(decided.decisions).toEqual([
      expect.objectContaining({
        action: 'approve',
        environment: 'production',
        step: 'gate',
        comment: 'staging is green',
        actor: expect.stringContaining(ADMIN.email),
      }),
    ]);
    await panel()
      .getByRole('listitem')
      .filter({ hasText: 'staging is green' })
      .getByText(/^approve/)
      .waitFor();
  }, 60_000);

  it('follows the canary to production: measurements against the threshold, the verdict, and what runs where', async () => {
    // The page follows the rollout by itself while it runs; nobody presses Refresh.
    await panel().getByText('Canary verdict: Successful', { exact: false }).waitFor({ timeout: 30_000 });
    await waitFor(async () => (await stepRows()).every((row) => row.includes('succeeded')), 15_000, 'every step to show succeeded');
    expect(await stepRows()).toEqual([
      expect.stringMatching(/^stagingdeploysucceeded/),
      expect.stringMatching(/^productiongatesucceeded/),
      expect.stringMatching(/^productioncanarysucceeded.*quotes-canary is ready/),
      expect.stringMatching(/^productionanalysissucceeded/),
      expect.stringMatching(/^productionpromotesucceeded.*production runs main\.2/),
    ]);
    expect(await panel().locator('p').filter({ hasText: 'Rollout of' }).textContent()).toMatch(new RegExp(`^succeeded Rollout of ${image(2)} `));

    const analysis = panel().locator('.analysis').filter({ hasText: 'Canary analysis in production' });
    const chart = analysis.locator('figure.canary-chart');
    expect(await chart.locator('figcaption').textContent()).toBe('error-rate threshold max 0.01, ≤ 1.5× stable');
    // Each iteration against the bound that binds: 1.5 × stable's 0.004 is below max 0.01.
    const rows = chart.getByRole('table', { name: 'error-rate measurements' }).locator('tbody tr');
    expect(await rows.evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)))).toEqual([
      ['1', '0.005', '0.004', '0.006', 'successful'],
      ['2', '0.005', '0.004', '0.006', 'successful'],
    ]);
    // In the chart, every canary point sits under the threshold line (SVG y grows downwards).
    const points = chart.locator('circle.chart-point');
    expect(await points.count()).toBe(2);
    const thresholdYs = (await chart.locator('polyline.chart-threshold').getAttribute('points'))!.split(' ').map((point) => Number(point.split(',')[1]));
    const canaryYs = await points.evaluateAll((circles) => circles.map((c) => Number(c.getAttribute('cy'))));
    canaryYs.forEach((y, i) => expect(y).toBeGreaterThan(thresholdYs[i]));
    await chart.getByText(/last: successful, error-rate 0\.00\d+ \(1\.\d+× stable 0\.00\d+\) is within bounds/).waitFor();

    // What runs where, refreshed as the rollout finished: production now runs main.2.
    await environmentRow('production')
      .getByText(/^main\.2 /)
      .waitFor();
    expect(imageIn(sim, `${SERVICE}-prod`, SERVICE)).toBe(image(2));
    expect(sim.object('Deployment', `${SERVICE}-prod`, `${SERVICE}-canary`)).toBeUndefined();
    await screenshot(page, 'rollout-production', 1600);
  }, 60_000);

  it('rolls production back from the page to main.1, and the cluster runs it again', async () => {
    const production = environmentRow('production');
    await production.getByRole('button', { name: 'Rollback…' }).click();
    await production.getByLabel('Reason').fill('p99 latency doubled');
    await production.getByRole('button', { name: 'Roll back production' }).click();
    await panel().getByRole('status').getByText('production rolled back to main.1.').waitFor({ timeout: 20_000 });
    await production.getByText(/^main\.1 /).waitFor();
    await production.getByText('rollback', { exact: true }).waitFor();

    const current = (await api.get(`/api/v1/services/${SERVICE}/environments/production`)).body.current;
    expect(current).toMatchObject({ kind: 'rollback', version: 'main.1', imageDigest: digest(1), reason: 'p99 latency doubled' });
    expect(current.deployedBy).toContain(ADMIN.email);
    expect(imageIn(sim, `${SERVICE}-prod`, SERVICE)).toBe(image(1));
    await screenshot(page, 'rollout-rolled-back', 1600);
  }, 60_000);
});
