import type { Browser, Page } from 'playwright-core';
import { AuditService } from '@switchyard/audit';
import { Database } from '@switchyard/persistence';
import { ApiClient } from '../../support/api-client';
import { requireTool } from '../../support/system-tool';
import { startTestServer, type TestServer } from '../../support/test-server';
import { collectProblems, launchChromium, screenshot } from './browser';
import { ensureUiBuilt } from './ensure-ui-built';

const ADMIN = { name: 'Grace Admin', email: 'grace@example.com', password: 'a long admin password' };

/**
 * The Timeline page in Chromium: what changed in production, newest first, with the flag edit a
 * person made through the API and the rollout engine's events (recorded through the AuditService
 * the engine uses); filters kept in the URL, links to the flag, release and dark-launch report,
 * and a new change showing up without a reload.
 */
(requireTool('chromium', 'chromium') ? describe : describe.skip)('timeline page in Chromium', () => {
  let server: TestServer;
  let api: ApiClient;
  let browser: Browser;
  let page: Page;
  let problems: string[];
  let record: (event: Parameters<AuditService['record']>[1]) => Promise<void>;
  const release = 'release-7f3a';
  const engine = { actor: 'system:rollout', target: `release:quotes/${release}`, environment: 'production', service: 'quotes' };

  beforeAll(async () => {
    await ensureUiBuilt();
    server = await startTestServer({ redis: 'none' });
    api = new ApiClient(server.url, server.adminToken);
    const audit = server.app.get(AuditService);
    const db = server.app.get(Database);
    record = (event) => db.transaction((m) => audit.record(m, event));
    expect((await api.post('/api/v1/setup', { adminToken: server.adminToken, ...ADMIN })).status).toBe(201);
    expect((await api.post('/api/v1/flags', { key: 'quotes.new-pricing', type: 'boolean' })).status).toBe(201);
    const toggled = await api.post(
      '/api/v1/flags/quotes.new-pricing/environments/production/toggle',
      { enabled: true },
      { 'x-switchyard-confirm': 'production', 'x-switchyard-comment': 'pricing launch' },
    );
    expect(toggled.status).toBe(200);
    await record({ ...engine, action: 'rollout.gate.waiting', after: { step: 'gate', environment: 'production' }, meta: { kind: 'approval' } });
    await record({
      ...engine,
      actor: `user:${ADMIN.email}`,
      action: 'rollout.gate.approved',
      before: { status: 'waiting', step: 'gate' },
      after: { status: 'running' },
      meta: { comment: 'plan looks right' },
    });
    await record({
      ...engine,
      action: 'rollout.dark-launch.verdict',
      after: {
        outcome: 'fail',
        reason: '$.price differs in 25.0 % of 1,200 comparisons on GET /quotes/:symbol; the limit is 0.1 %',
        reportUrl: '/dark-launch?route=quotes',
      },
    });

    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: { width: 1360, height: 900 } })).newPage();
    page.setDefaultTimeout(15_000);
    problems = collectProblems(page);
    await page.goto(`${server.url}/timeline?environment=production&since=30m`);
    await page.getByLabel('Email').fill(ADMIN.email);
    await page.getByLabel('Password').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Timeline' }).waitFor();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  afterEach(() => {
    expect(problems.filter((p) => p.startsWith('pageerror'))).toEqual([]);
  });

  const rows = (p: Page) => p.getByRole('table', { name: 'Changes' }).locator('tbody tr[data-kind]');
  const actions = async (p: Page) => Promise.all((await rows(p).all()).map((row) => row.getAttribute('data-action')));

  it('lists what changed in production, newest first, with who, where and why', async () => {
    await rows(page).nth(4).waitFor();
    // Creating the flag reached every environment, production included.
    expect(await actions(page)).toEqual(['rollout.dark-launch.verdict', 'rollout.gate.approved', 'rollout.gate.waiting', 'flag.toggled', 'flag.created']);
    const verdict = rows(page).nth(0);
    expect(await verdict.textContent()).toContain('Dark-launch verdict in production: fail: $.price differs in 25.0 % of 1,200 comparisons');
    expect(await verdict.getAttribute('class')).toContain('timeline-alarm');
    expect(await verdict.locator('td').nth(3).textContent()).toBe('quotes · production');
    const approval = rows(page).nth(1);
    expect(await approval.locator('td').nth(4).textContent()).toBe(ADMIN.name);
    expect(await approval.textContent()).toContain('plan looks right');
    expect(await rows(page).nth(3).textContent()).toContain('pricing launch');
    // The filters came from the URL and show in the form.
    expect(await page.getByLabel('Environment', { exact: true }).inputValue()).toBe('production');
    expect(await page.getByLabel('Since', { exact: true }).inputValue()).toBe('30m');
    await screenshot(page, 'timeline');
  });

  it('keeps filters in the URL', async () => {
    await page.getByLabel('Kind', { exact: true }).selectOption('approval');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.waitForURL(/kind=approval/);
    expect(new URL(page.url()).search).toBe('?environment=production&kind=approval&since=30m');
    // The page re-reads with the new filter; wait until the rows are the filtered ones.
    await page.waitForFunction("document.querySelectorAll('tbody tr[data-kind]').length === 2");
    expect(await actions(page)).toEqual(['rollout.gate.approved', 'rollout.gate.waiting']);
    await page.reload();
    await rows(page).nth(1).waitFor();
    expect(await page.getByLabel('Kind', { exact: true }).inputValue()).toBe('approval');
    expect(await actions(page)).toEqual(['rollout.gate.approved', 'rollout.gate.waiting']);
  });

  it('shows a new change without a reload', async () => {
    await page.goto(`${server.url}/timeline?environment=production&since=30m`);
    await rows(page).nth(4).waitFor();
    await record({
      ...engine,
      action: 'rollout.flag-release.tripped',
      after: { flag: 'quotes.new-pricing', percent: 10, metric: 'error-rate', reason: 'error rate 4.1 % is above 1 %' },
    });
    const tripped = page.locator('tbody tr[data-action="rollout.flag-release.tripped"]');
    await tripped.waitFor();
    expect(await tripped.textContent()).toContain('Guardrail tripped in production on quotes.new-pricing');
    expect(await actions(page)).toHaveLength(6);
  });

  it('shows the dark-launch and flag-release stages of a rollout on the release page', async () => {
    // A finished rollout with the contract's step details (the engine's handlers write them); finished, so no driver picks it up.
    const created = await api.post('/api/v1/services/quotes/releases', { version: '1.4.0' });
    expect(created.status).toBe(201);
    const measurement = (iteration: number, canary: number, outcome: string) => ({
      iteration,
      metric: 'error-rate',
      query: 'sum(rate(http_errors_total[1m]))',
      canary,
      stable: 0.2,
      samples: 400,
      threshold: { max: 1, minSamples: 100 },
      outcome,
      reason: outcome === 'failed' ? 'error-rate 4.1 is above 1' : 'within 1',
      measuredAt: new Date().toISOString(),
    });
    const steps = [
      {
        kind: 'dark-launch',
        environment: 'production',
        status: 'succeeded',
        startedAt: null,
        finishedAt: null,
        durationMs: 600_000,
        message: 'dark launch passed',
        detail: {
          route: 'quotes',
          shadow: { deployment: 'quotes-shadow', namespace: 'quotes', url: null },
          sample: 10,
          minCompared: 500,
          maxMismatch: 0.1,
          deadline: new Date().toISOString(),
          progress: { compared: 1200, mismatched: 0 },
          verdict: {
            outcome: 'pass',
            reason: '1,200 comparisons, none differed beyond the noise; the limit is 0.1 %',
            compared: 1200,
            mismatchPercent: 0,
            endpoints: [{ endpoint: 'GET /quotes/:symbol', compared: 1200, mismatchPercent: 0, fields: [] }],
            reportUrl: '/dark-launch?route=quotes',
          },
        },
      },
      {
        kind: 'flag-release',
        environment: 'production',
        status: 'failed',
        startedAt: null,
        finishedAt: null,
        durationMs: 1_200_000,
        message: 'guardrail error-rate tripped at 10 %',
        detail: {
          flags: ['quotes.new-pricing'],
          steps: [1, 10, 50, 100],
          intervalMs: 600_000,
          stepIndex: 1,
          stepStartedAt: new Date().toISOString(),
          previous: { 'quotes.new-pricing': { enabled: true } },
          measurements: [measurement(0, 0.1, 'successful'), measurement(1, 4.1, 'failed')],
          verdict: { verdict: 'Failed', reason: 'error-rate 4.1 is above 1', iterations: 2, failures: 1, inconclusive: 0 },
          tripped: { flag: 'quotes.new-pricing', percent: 10, metric: 'error-rate', reason: 'error-rate 4.1 is above 1', at: new Date().toISOString() },
        },
      },
    ];
    await server.app.get(Database).query(
      `INSERT INTO rollouts (id, kind, release_id, service, version, image, status, plan, steps, current_step, error, created_by)
         VALUES (gen_random_uuid(), 'release', $1, 'quotes', '1.4.0', 'registry.example/quotes:1.4.0', 'failed', '{"environments": []}', $2, 1, $3, 'token:ci')`,
      [created.body.id, JSON.stringify(steps), 'guardrail error-rate tripped at 10 % of quotes.new-pricing'],
    );
    await page.goto(`${server.url}/releases/${created.body.id as string}`);
    const darkLaunch = page.getByRole('region', { name: 'Dark launch in production' });
    await darkLaunch.waitFor();
    expect(await darkLaunch.textContent()).toContain('Dark-launch verdict: Passed — 1,200 comparisons, none differed beyond the noise');
    expect(await darkLaunch.getByRole('table', { name: 'Dark-launch endpoints in production' }).locator('tbody tr').allTextContents()).toEqual([
      'GET /quotes/:symbol1,2000 %—',
    ]);
    expect(await darkLaunch.getByRole('link', { name: 'Open the dark-launch report' }).getAttribute('href')).toBe('/dark-launch?route=quotes');
    const flagRelease = page.getByRole('region', { name: 'Flag release in production' });
    expect(await flagRelease.getByRole('alert').textContent()).toContain(
      'Guardrail error-rate tripped at 10 % of quotes.new-pricing: error-rate 4.1 is above 1. The flag is back where it was before the release',
    );
    const releaseSteps = flagRelease.getByRole('list', { name: 'Flag release steps in production' }).locator('li');
    expect(await releaseSteps.evaluateAll((items) => items.map((li) => `${li.textContent?.split(' since')[0]}:${li.getAttribute('data-state')}`))).toEqual([
      '1 %:done',
      '10 %:current',
      '50 %:next',
      '100 %:next',
    ]);
    expect(await flagRelease.getByRole('img', { name: 'error-rate: canary against stable and threshold' }).count()).toBe(1);
    expect(await flagRelease.getByRole('link', { name: 'quotes.new-pricing' }).getAttribute('href')).toBe('/flags/quotes.new-pricing?environment=production');
    await flagRelease.scrollIntoViewIfNeeded();
    await screenshot(page, 'rollout-stages');
    await page.getByRole('link', { name: 'Everything that changed for quotes' }).click();
    await page.waitForURL(/\/timeline\?service=quotes&since=7d$/);
    await page.locator('tbody tr[data-action="release.created"]').waitFor();
  });

  it('links each change to the report, release or flag it came from', async () => {
    await page.goto(`${server.url}/timeline?environment=production&since=30m`);
    await rows(page).nth(4).waitFor();
    await page.getByRole('link', { name: 'Dark-launch report of quotes' }).click();
    await page.waitForURL(/\/dark-launch\?route=quotes$/);
    await page.goBack();
    // The toggle links to the flag in production; the creation (every environment) to the flag itself.
    await page.locator('tbody tr[data-action="flag.toggled"]').getByRole('link', { name: 'Flag quotes.new-pricing' }).click();
    await page.waitForURL(/\/flags\/quotes\.new-pricing\?environment=production$/);
    await page.goBack();
    await page
      .getByRole('link', { name: `Release quotes/${release}` })
      .first()
      .click();
    await page.waitForURL(new RegExp(`/releases/${release}$`));
  });
});
