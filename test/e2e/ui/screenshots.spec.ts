import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { ApiClient } from '../../support/api-client';
import { requireTool } from '../../support/system-tool';
import { startTestServer, type TestServer } from '../../support/test-server';
import { collectProblems, launchChromium, SCREENSHOTS } from './browser';
import { ensureUiBuilt } from './ensure-ui-built';

const ADMIN = { name: 'Ada Admin', email: 'ada@example.com', password: 'correct horse battery staple' };
const FLAG = 'checkout.new-flow';
const OUT = join(SCREENSHOTS, 'screens');
/** `UPDATE_SCREENSHOTS=1` also refreshes the README's pictures. */
const DOCS = process.env.UPDATE_SCREENSHOTS === '1' ? join(__dirname, '../../../docs/screenshots') : undefined;

/** Every page of the main navigation: none may be wider than an 800 px window. */
const MAIN_PAGES = [
  '/flags',
  `/flags/${FLAG}`,
  `/flags/${FLAG}/history`,
  `/flags/${FLAG}/usage`,
  `/flags/${FLAG}/settings`,
  '/segments',
  '/environments',
  '/releases',
  '/dark-launch',
  '/audit',
  '/tokens',
  '/users',
];

/**
 * The README's screenshots at 1280 and 800 px (flags list, flag detail with a stacked rollout bar,
 * audit log, history), and the 800 px promise: no page of the app scrolls sideways.
 */
(requireTool('chromium', 'chromium') ? describe : describe.skip)('screenshots at 1280 and 800 px', () => {
  let server: TestServer;
  let api: ApiClient;
  let browser: Browser;
  let page: Page;
  let problems: string[];

  /** Captures the window at `width` × `height`: to test-results always, to docs/screenshots when asked. */
  async function capture(name: string, width: number, height: number): Promise<void> {
    await page.setViewportSize({ width, height });
    const file = `${name}${width === 1280 ? '' : `-${width}`}.png`;
    mkdirSync(OUT, { recursive: true });
    await page.screenshot({ path: join(OUT, file) });
    if (DOCS) copyFileSync(join(OUT, file), join(DOCS, file));
  }

  const settle = () => page.waitForFunction('!document.querySelector("[aria-busy=true]")');

  beforeAll(async () => {
    await ensureUiBuilt();
    server = await startTestServer();
    api = new ApiClient(server.url, server.adminToken);
    expect((await api.post('/api/v1/setup', { adminToken: server.adminToken, ...ADMIN })).status).toBe(201);
    const flags = [
      { key: FLAG, name: 'New checkout flow', owner: 'team-payments', tags: ['checkout', 'q3'], description: 'The one-page checkout, rolled out by country.' },
      {
        key: 'search.ranking',
        name: 'Search ranking',
        owner: 'team-search',
        tags: ['search'],
        type: 'string',
        variants: { classic: 'classic', neural: 'neural' },
      },
      { key: 'pricing.banner', name: 'Pricing banner', owner: 'team-growth', tags: ['marketing', 'pricing'] },
      { key: 'ops.read-only-mode', name: 'Read-only mode', owner: 'team-platform', tags: ['ops', 'kill-switch'] },
    ];
    for (const { type = 'boolean', ...flag } of flags) expect((await api.post('/api/v1/flags', { type, ...flag })).status).toBe(201);
    const confirm = { 'x-switchyard-confirm': 'production' };
    const targeting = {
      rules: [{ description: 'Nordics', conditions: [{ attribute: 'country', operator: 'in', values: ['SE', 'NO', 'DK', 'FI'] }], serve: { variant: 'on' } }],
      defaultServe: {
        rollout: [
          { variant: 'on', weight: 30000 },
          { variant: 'off', weight: 70000 },
        ],
        salt: 'k3Jd93xa',
      },
    };
    for (const env of ['development', 'staging', 'production']) {
      expect((await api.patch(`/api/v1/flags/${FLAG}/environments/${env}`, { enabled: env !== 'production', ...targeting }, confirm)).status).toBe(200);
    }
    expect((await api.post('/api/v1/flags/pricing.banner/environments/staging/toggle', { enabled: true })).status).toBe(200);
    const wider = {
      defaultServe: {
        rollout: [
          { variant: 'on', weight: 40000 },
          { variant: 'off', weight: 60000 },
        ],
        salt: 'k3Jd93xa',
      },
    };
    expect((await api.patch(`/api/v1/flags/${FLAG}/environments/production`, wider, confirm)).status).toBe(200);

    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    page.setDefaultTimeout(15_000);
    problems = collectProblems(page);
    await page.goto(`${server.url}/flags`);
    await page.getByLabel('Email').fill(ADMIN.email);
    await page.getByLabel('Password').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Flags', exact: true }).waitFor();
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  afterEach(() => {
    expect(problems.filter((p) => p.startsWith('pageerror'))).toEqual([]);
  });

  it.each([1280, 800])(
    'captures the flags list, flag detail, audit log and history at %i px',
    async (width) => {
      await page.setViewportSize({ width, height: 900 });
      await page.goto(`${server.url}/flags`);
      await page.getByRole('switch', { name: `${FLAG} in Production` }).waitFor();
      await capture('flags-list', width, 520);

      await page.goto(`${server.url}/flags/${FLAG}?environment=production`);
      await page.getByRole('img', { name: 'Rollout: on 40 %, off 60 %' }).waitFor();
      await capture('flag-detail', width, width === 800 ? 1500 : 1240);

      await page.goto(`${server.url}/audit`);
      await page.getByRole('heading', { name: 'Audit log' }).waitFor();
      await settle();
      await page.locator('tr[data-action]').filter({ hasText: FLAG }).first().getByRole('button', { name: 'Changes' }).click();
      await capture('audit-log', width, 760);

      await page.goto(`${server.url}/flags/${FLAG}/history`);
      await page.getByRole('list', { name: 'Versions' }).getByRole('button').first().waitFor();
      await settle();
      await capture('flag-history', width, 900);
    },
    60_000,
  );

  it('no page scrolls sideways at 800 px', async () => {
    await page.setViewportSize({ width: 800, height: 900 });
    const tooWide: Record<string, number> = {};
    for (const path of MAIN_PAGES) {
      await page.goto(`${server.url}${path}`);
      await page.locator('main h1').first().waitFor();
      await settle();
      const scrollWidth = (await page.evaluate('document.documentElement.scrollWidth')) as number;
      if (scrollWidth > 800) tooWide[path] = scrollWidth;
    }
    // Every page is listed at once, so one run names all the pages that need fixing.
    expect(tooWide).toEqual({});
  }, 120_000);
});
