import type { Browser, Page } from 'playwright-core';
import { ApiClient } from '../../support/api-client';
import { requireTool } from '../../support/system-tool';
import { startTestServer, type TestServer } from '../../support/test-server';
import { collectProblems, launchChromium, screenshot } from '../ui/browser';
import { ensureUiBuilt } from '../ui/ensure-ui-built';

const ADMIN = { name: 'Ada Admin', email: 'ada@example.com', password: 'a long admin password' };

/** The admin UI's part of browser access: client tokens with their origins, and the client-side switch. */
(requireTool('chromium', 'chromium') ? describe : describe.skip)('admin UI: client tokens and client-side flags', () => {
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
    expect((await api.post('/api/v1/flags', { key: 'new-banner', type: 'boolean' })).status).toBe(201);
    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: { width: 1360, height: 900 } })).newPage();
    page.setDefaultTimeout(15_000);
    problems = collectProblems(page);
    await page.goto(`${server.url}/tokens`);
    await page.getByLabel('Email').fill(ADMIN.email);
    await page.getByLabel('Password').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'API tokens' }).waitFor();
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  afterEach(() => {
    expect(problems.filter((p) => p.startsWith('pageerror'))).toEqual([]);
  });

  it('creates a client token with its origins and filter, and lists them', async () => {
    await page.getByLabel('Name').fill('shop-web');
    await page.getByLabel('client:production').check();
    await page.getByLabel('Browser origins').fill('https://shop.example\nhttps://shop.example/checkout');
    await page.getByLabel('Flags it sees').selectOption('client-side');
    await page.getByRole('button', { name: 'Create token' }).click();
    await page.locator('#token-origins-error').waitFor();
    expect(await page.locator('#token-origins-error').textContent()).toContain('scheme://host');

    await page.getByLabel('Browser origins').fill('https://shop.example\nhttps://m.shop.example');
    await page.getByRole('button', { name: 'Create token' }).click();
    expect(await page.getByLabel('Secret').inputValue()).toMatch(/^sy_/);
    const row = page.getByRole('row', { name: /shop-web/ });
    await row.getByText('https://m.shop.example').waitFor();
    expect(await row.textContent()).toContain('client-side flags');
    await screenshot(page, 'client-tokens', 900);
    const listed = (await api.get('/api/v1/tokens')).body.items.find((token: { name: string }) => token.name === 'shop-web');
    expect(listed).toMatchObject({
      scopes: ['client:production'],
      allowedOrigins: ['https://shop.example', 'https://m.shop.example'],
      flagFilter: 'client-side',
    });
  }, 60_000);

  it('marks a flag as available to client-side SDKs in its settings', async () => {
    await page.goto(`${server.url}/flags/new-banner/settings`);
    await page.getByLabel('Available to client-side SDKs').check();
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page
      .getByRole('status')
      .getByText(/Saved as v/)
      .waitFor();
    expect((await api.get('/api/v1/flags/new-banner')).body.clientSide).toBe(true);
  }, 60_000);
});
