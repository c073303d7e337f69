import type { Browser, Page } from 'playwright-core';
import { ApiClient } from '../../support/api-client';
import { requireTool } from '../../support/system-tool';
import { startTestServer, type TestServer } from '../../support/test-server';
import { collectProblems, launchChromium, screenshot } from './browser';
import { ensureUiBuilt } from './ensure-ui-built';

const ADMIN = { name: 'Rita Reviewer', email: 'rita@example.com', password: 'a long reviewer password' };
const FLAG = 'review.flow';
const COMMENT = 'Back to 40 % for the Nordics (REL-7)';

const split = (on: number) => ({
  rollout: [
    { variant: 'on', weight: on },
    { variant: 'off', weight: 100000 - on },
  ],
});

/**
 * Plain-language change review in Chromium: history and audit in the describer's sentences, a
 * restore whose dialog lists exactly the environments it changes (and only those change), a comment
 * required by an environment, and long values that wrap at 1280 px.
 */
(requireTool('chromium', 'chromium') ? describe : describe.skip)('change review in Chromium', () => {
  let server: TestServer;
  let api: ApiClient;
  let browser: Browser;
  let page: Page;
  let problems: string[];

  beforeAll(async () => {
    await ensureUiBuilt();
    server = await startTestServer();
    api = new ApiClient(server.url, server.adminToken);
    expect((await api.post('/api/v1/setup', { adminToken: server.adminToken, ...ADMIN })).status).toBe(201);
    // v1 created; v2 staging on at 40 %; v3 production on; v4 staging 30 %; v5 a long description.
    expect((await api.post('/api/v1/flags', { key: FLAG, type: 'boolean' })).status).toBe(201);
    expect((await api.patch(`/api/v1/flags/${FLAG}/environments/staging`, { enabled: true, defaultServe: split(40000) })).status).toBe(200);
    expect((await api.post(`/api/v1/flags/${FLAG}/environments/production/toggle`, { enabled: true }, { 'x-switchyard-confirm': 'production' })).status).toBe(
      200,
    );
    expect((await api.patch(`/api/v1/flags/${FLAG}/environments/staging`, { defaultServe: split(30000) })).status).toBe(200);
    expect((await api.patch(`/api/v1/flags/${FLAG}`, { description: `x${'0123456789'.repeat(40)}` })).status).toBe(200);
    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    page.setDefaultTimeout(15_000);
    problems = collectProblems(page);
    await page.goto(`${server.url}/environments`);
    await page.getByLabel('Email').fill(ADMIN.email);
    await page.getByLabel('Password').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Environments' }).waitFor();
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  afterEach(() => {
    expect(problems.filter((p) => p.startsWith('pageerror'))).toEqual([]);
  });

  const overflows = () => page.evaluate<boolean>('document.documentElement.scrollWidth > document.documentElement.clientWidth');

  it('lets an admin require comments for an environment', async () => {
    await page.getByLabel('Staging needs a comment').click();
    await page.locator('[aria-label="Staging needs a comment"]:checked').waitFor();
    expect((await api.get('/api/v1/environments')).body.items.find((e: any) => e.key === 'staging').requiresComment).toBe(true);
  }, 60_000);

  it('shows history in plain sentences with one version numbering', async () => {
    await page.goto(`${server.url}/flags/${FLAG}/history`);
    await page.getByRole('button', { name: /^v4 / }).click();
    await page.getByRole('heading', { name: 'v3 → v4' }).waitFor();
    const staging = page.locator('.version-detail').getByRole('region', { name: 'Changes in Staging' }).first();
    await staging.getByText('Default: on 40 % → 30 %, off 60 % → 70 %').waitFor();
    const text = (await page.locator('.version-detail').textContent()) ?? '';
    expect(text).not.toMatch(/salt|40000|30000/);
    expect(await overflows()).toBe(false);
  }, 60_000);

  it('restores an old version: the dialog lists each environment it changes, and only those change', async () => {
    const before = (await api.get(`/api/v1/flags/${FLAG}`)).body;
    const envsBefore = (await api.get('/api/v1/environments')).body.items;
    await page.getByRole('button', { name: /^v2 / }).click();
    const preview = page.getByRole('region', { name: /^Restoring v2/ });
    await preview.waitFor();
    await page.getByRole('button', { name: 'Restore v2', exact: true }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('heading', { name: 'Restore v2?' }).waitFor();
    expect(await dialog.locator('.change-env h4').allTextContents()).toEqual(['Staging', 'Production']);
    await dialog.getByRole('region', { name: 'Changes in Staging' }).getByText('Default: on 30 % → 40 %, off 70 % → 60 %').waitFor();
    await dialog.getByRole('region', { name: 'Changes in Production' }).getByText('turns OFF').waitFor();
    expect(await dialog.textContent()).toContain('Production needs confirmation');
    // Staging asks for a comment: the restore button waits for one.
    const restore = dialog.getByRole('button', { name: 'Restore' });
    expect(await restore.isDisabled()).toBe(true);
    await dialog.getByLabel('Comment (required)').fill(COMMENT);
    await screenshot(page, 'restore-dialog');
    await restore.click();
    await page.getByRole('heading', { name: `v${before.version + 1} (current)` }).waitFor();

    const after = (await api.get(`/api/v1/flags/${FLAG}`)).body;
    expect(after.version).toBe(before.version + 1);
    expect(after.environments.staging.defaultServe.rollout.map((w: any) => w.weight)).toEqual([40000, 60000]);
    expect(after.environments.production.enabled).toBe(false);
    // Development was not listed, so it did not change: same targeting, same snapshot version.
    expect(after.environments.development).toEqual(before.environments.development);
    const envsAfter = (await api.get('/api/v1/environments')).body.items;
    const bumped = envsAfter.filter((env: any) => env.version !== envsBefore.find((e: any) => e.key === env.key).version).map((e: any) => e.key);
    expect(bumped).toEqual(['staging', 'production']);
    // The comment is kept on the version.
    await page.locator('.version-detail blockquote', { hasText: COMMENT }).waitFor();
  }, 60_000);

  it('shows the same sentences and the comment in the audit log, and long values wrap', async () => {
    await page.goto(`${server.url}/audit`);
    const restored = page.locator('tr[data-action="flag.restored"]').first();
    await restored.getByRole('button', { name: 'Changes' }).click();
    const sentences = page.getByRole('list', { name: 'What flag.restored changed' });
    await sentences.getByText('Staging: Default: on 30 % → 40 %, off 70 % → 60 %').waitFor();
    await sentences.getByText('Production: turns OFF').waitFor();
    expect(await sentences.getByRole('listitem').allTextContents()).toEqual([
      'Description changed',
      'Staging: Default: on 30 % → 40 %, off 70 % → 60 %',
      'Production: turns OFF',
    ]);
    await page.locator('.audit-detail blockquote', { hasText: COMMENT }).waitFor();
    const event = (await api.get(`/api/v1/audit?target=flag:${FLAG}&limit=1`)).body.items[0];
    expect(event).toMatchObject({ action: 'flag.restored', comment: COMMENT });
    expect(await page.locator('.audit-detail').textContent()).toContain(`v${event.meta.version - 1} → v${event.meta.version}`);
    await restored.getByRole('button', { name: 'Hide' }).click();

    const updated = page.locator('tr[data-action="flag.updated"]').first();
    await updated.getByRole('button', { name: 'Changes' }).click();
    await page.getByRole('list', { name: 'What flag.updated changed' }).getByText('Description changed').waitFor();
    await page.locator('.audit-detail summary', { hasText: 'All fields' }).click();
    await page.locator('.audit-detail table.diff').waitFor();
    expect(await overflows()).toBe(false);
    await screenshot(page, 'audit-change-review');
  }, 60_000);
});
