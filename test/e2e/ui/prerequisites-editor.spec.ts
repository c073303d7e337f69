import type { Browser, Page } from 'playwright-core';
import { ApiClient } from '../../support/api-client';
import { requireTool } from '../../support/system-tool';
import { startTestServer, type TestServer } from '../../support/test-server';
import { launchChromium, openSignedIn } from './browser';
import { ensureUiBuilt } from './ensure-ui-built';

const ADMIN = { name: 'Pia Prereq', email: 'pia@example.com', password: 'a long prerequisite password' };

/**
 * The prerequisites editor in Chromium: pick a flag and its variants, save, see the preview follow
 * the prerequisite, and see a cycle refused with its path where the prerequisites are edited.
 */
(requireTool('chromium', 'chromium') ? describe : describe.skip)('prerequisites editor in Chromium', () => {
  let server: TestServer;
  let api: ApiClient;
  let browser: Browser;
  let page: Page;
  let problems: string[];

  beforeAll(async () => {
    await ensureUiBuilt();
    server = await startTestServer({ redis: 'none' });
    api = new ApiClient(server.url, server.adminToken);
    expect((await api.post('/api/v1/setup', { adminToken: server.adminToken, ...ADMIN })).status).toBe(201);
    for (const key of ['ui.gate', 'ui.page']) expect((await api.post('/api/v1/flags', { key, type: 'boolean' })).status).toBe(201);
    expect((await api.post('/api/v1/flags/ui.page/environments/development/toggle', { enabled: true })).status).toBe(200);
    browser = await launchChromium();
    ({ page, problems } = await openSignedIn(browser, `${server.url}/environments`, ADMIN, 'Environments'));
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  afterEach(() => {
    expect(problems.filter((p) => p.startsWith('pageerror'))).toEqual([]);
  });

  it('adds a prerequisite (pick flag, pick variants), saves it, and previews through it', async () => {
    await page.goto(`${server.url}/flags/ui.page?environment=development`);
    await page.getByRole('heading', { name: 'Prerequisites' }).waitFor();
    await page.getByRole('button', { name: 'Add prerequisite' }).click();
    const item = page.getByRole('listitem', { name: 'Prerequisite 1' });
    expect(await item.getByLabel('Flag').inputValue()).toBe('ui.gate');
    expect(await item.getByRole('checkbox', { name: 'on' }).isChecked()).toBe(true);
    // ui.gate is off in development, so the preview of the edits already serves the off variant.
    await page.getByTestId('preview-prerequisite').getByText('ui.gate did not serve a listed variant').waitFor();
    expect(await page.getByTestId('preview-reason').textContent()).toBe('DISABLED');
    await item.getByRole('checkbox', { name: 'off' }).check();
    await page.getByRole('button', { name: 'Save Development' }).click();
    await page.getByText(/^Saved as v\d+\.$/).waitFor();
    const saved = (await api.get('/api/v1/flags/ui.page')).body;
    expect(saved.environments.development.prerequisites).toEqual([{ flag: 'ui.gate', variants: ['on', 'off'] }]);
  }, 60_000);

  it('shows a refused cycle with its path at the prerequisites', async () => {
    await page.goto(`${server.url}/flags/ui.gate?environment=development`);
    await page.getByRole('heading', { name: 'Prerequisites' }).waitFor();
    await page.getByRole('button', { name: 'Add prerequisite' }).click();
    expect(await page.getByRole('listitem', { name: 'Prerequisite 1' }).getByLabel('Flag').inputValue()).toBe('ui.page');
    await page.getByRole('button', { name: 'Save Development' }).click();
    await page.locator('#prerequisites-error').getByText('would form a cycle: ui.gate → ui.page → ui.gate').waitFor();
    expect((await api.get('/api/v1/flags/ui.gate')).body.environments.development.prerequisites).toBeUndefined();
  }, 60_000);
});
