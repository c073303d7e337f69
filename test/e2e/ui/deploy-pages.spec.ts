import type { Browser, Page } from 'playwright-core';
import { ApiClient } from '../../support/api-client';
import { requireTool } from '../../support/system-tool';
import { startTestServer, type TestServer } from '../../support/test-server';
import { collectProblems, launchChromium, screenshot } from './browser';
import { ensureUiBuilt } from './ensure-ui-built';

const ADMIN = { name: 'Grace Admin', email: 'grace@example.com', password: 'a long admin password' };
const DIGEST = `sha256:${'4f2a9c1e'.repeat(8)}`;

/** The deploy pages in Chromium: a release's stage view with digest and tests, and the dark-launch routes. */
(requireTool('chromium', 'chromium') ? describe : describe.skip)('deploy pages in Chromium', () => {
  let server: TestServer;
  let api: ApiClient;
  let browser: Browser;
  let page: Page;
  let problems: string[];
  let releaseId: string;

  beforeAll(async () => {
    await ensureUiBuilt();
    server = await startTestServer({ env: { MIRROR_ALLOWED_TARGETS: '127.0.0.1' } });
    api = new ApiClient(server.url, server.adminToken);
    expect((await api.post('/api/v1/setup', { adminToken: server.adminToken, ...ADMIN })).status).toBe(201);

    const created = await api.post('/api/v1/services/market-data/releases', { version: 'main.42', gitSha: '4f2a9c1e0d6b', branch: 'main', buildNumber: '42' });
    expect(created.status).toBe(201);
    releaseId = created.body.id;
    const report = async (stage: string, body: object) => {
      const res = await api.patch(`/api/v1/releases/${releaseId}/stages/${stage}`, body);
      expect([res.status, res.body]).toEqual([200, expect.anything()]);
    };
    await report('build', { status: 'running' });
    await report('build', { status: 'succeeded', logTail: 'STEP 3/3: COPY dist /app\nbuilt', artifacts: { builder: 'buildah', localDigest: DIGEST } });
    await report('test', { status: 'running' });
    await report('test', {
      status: 'failed',
      error: '1 test failed',
      logTail: 'FAIL quotes.spec.ts',
      testSummary: {
        tests: 12,
        passed: 11,
        failures: 1,
        errors: 0,
        skipped: 0,
        timeSeconds: 3.2,
        failedCases: [{ name: 'rounds prices to the tick size', classname: 'QuoteFormatter', kind: 'failure', message: 'expected 1.25 to be 1.3' }],
      },
    });
    expect(
      (await api.post('/api/v1/mirror/routes', { name: 'orders', primary: 'http://127.0.0.1:9', candidate: 'http://127.0.0.1:9', sample: { percent: 10 } }))
        .status,
    ).toBe(201);

    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: { width: 1360, height: 900 } })).newPage();
    page.setDefaultTimeout(15_000);
    problems = collectProblems(page);
    await page.goto(`${server.url}/releases`);
    await page.getByLabel('Email').fill(ADMIN.email);
    await page.getByLabel('Password').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Releases' }).waitFor();
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  afterEach(() => {
    expect(problems.filter((p) => p.startsWith('pageerror'))).toEqual([]);
  });

  it('lists releases with filters and opens the stage view', async () => {
    const link = page.getByRole('link', { name: 'market-data main.42' });
    await link.waitFor();
    await page.getByLabel('Status').selectOption('succeeded');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.getByText('No releases match.').waitFor();
    await page.getByLabel('Status').selectOption('failed');
    await page.getByLabel('Service').fill('market-data');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await link.waitFor();
    expect(new URL(page.url()).search).toBe('?service=market-data');
    await link.click();

    await page.getByRole('heading', { name: /market-data main\.42/ }).waitFor();
    const stages = page.getByRole('list', { name: 'Stages' });
    expect(await stages.getByRole('listitem').allTextContents()).toEqual([
      expect.stringMatching(/^buildsucceeded/),
      expect.stringMatching(/^testfailed/),
      expect.stringMatching(/^publish(pending|abandoned|skipped)/),
    ]);
    await page
      .getByRole('region', { name: /Stage build/ })
      .getByText(DIGEST)
      .waitFor();
    expect(await page.getByTestId('tests-test').textContent()).toBe('11/12 passed, 1 failed in 3.2 s');
    await page.getByRole('list', { name: 'Failing tests in test' }).getByText('QuoteFormatter › rounds prices to the tick size').waitFor();
    await page.getByText('expected 1.25 to be 1.3').waitFor();
    // A release that never reached publish has no rollout, and nothing of the service runs anywhere.
    await page.getByText('This release has not been rolled out.').waitFor();
    await page.getByText('Nothing of market-data has been deployed yet.').waitFor();
    await screenshot(page, 'release-stages', 1400);
  }, 60_000);

  it('lists mirror routes and shows an empty report for one', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Dark launch' }).click();
    await page.getByRole('heading', { name: 'Dark launch' }).waitFor();
    await page.getByRole('link', { name: 'orders' }).click();
    await page.getByRole('heading', { name: 'Report for orders' }).waitFor();
    await page.getByText('No comparisons reported for this route yet.').waitFor();
    expect(new URL(page.url()).search).toBe('?route=orders');
    await screenshot(page, 'dark-launch');
  }, 60_000);
});
