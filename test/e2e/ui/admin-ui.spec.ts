import { evaluate, type EnvironmentConfig, type EvaluationContext } from '@switchyard/core';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { ApiClient } from '../../support/api-client';
import { requireTool } from '../../support/system-tool';
import { startTestServer, waitFor, type TestServer } from '../../support/test-server';
import { collectProblems, launchChromium, screenshot } from './browser';
import { ensureUiBuilt } from './ensure-ui-built';

const ADMIN = { name: 'Ada Admin', email: 'ada@example.com', password: 'correct horse battery staple' };
const VIEWER = { name: 'Vic Viewer', email: 'vic@example.com', password: 'viewer password 123' };
const COLLEAGUE = { name: 'Cy Colleague', email: 'cy@example.com', password: 'colleague password 1' };
const FLAG = 'checkout.new-flow';

/**
 * The admin UI end to end in Debian's Chromium against the real server: first-admin setup,
 * targeting, production confirmation, the in-browser preview, audit, live updates between two
 * browsers, optimistic-concurrency conflicts and roles.
 */
(requireTool('chromium', 'chromium') ? describe : describe.skip)('admin UI in Chromium', () => {
  let server: TestServer;
  let api: ApiClient;
  let browser: Browser;
  let adminContext: BrowserContext;
  let page: Page;
  let problems: string[];

  beforeAll(async () => {
    await ensureUiBuilt();
    server = await startTestServer();
    api = new ApiClient(server.url, server.adminToken);
    browser = await launchChromium();
    adminContext = await browser.newContext({ viewport: { width: 1360, height: 900 } });
    page = await adminContext.newPage();
    page.setDefaultTimeout(15_000);
    problems = collectProblems(page);
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  afterEach(() => {
    // Every step must leave the browser without script errors (a 4xx the UI handles is logged by
    // Chromium as a failed resource, which is expected; uncaught exceptions are not).
    expect(problems.filter((p) => p.startsWith('pageerror'))).toEqual([]);
  });

  const switchFor = (p: Page, environment: string) => p.getByRole('switch', { name: `${FLAG} in ${environment}` });
  /** Clears the live feed (a person can too) so screenshots show the page beneath it. */
  const dismissFeed = async (p: Page) => {
    const buttons = p.getByTestId('live-feed').getByRole('button', { name: 'Dismiss' });
    for (let i = 0; i < 10 && (await buttons.count()) > 0; i++) await buttons.first().click();
  };
  const nav = (p: Page, name: string) => p.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true });

  it('sets up the first admin through the setup page', async () => {
    await page.goto(`${server.url}/`);
    await page.getByRole('heading', { name: 'Set up Switchyard' }).waitFor();
    // A wrong token is refused next to the token field.
    await page.getByLabel('Bootstrap admin token').fill('sy_not-the-admin-token-at-all');
    await page.getByLabel('Your name').fill(ADMIN.name);
    await page.getByLabel('Email').fill(ADMIN.email);
    await page.getByLabel('Password').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Create administrator' }).click();
    await page.locator('#setup-adminToken-error').waitFor();
    await page.getByLabel('Bootstrap admin token').fill(server.adminToken);
    await page.getByRole('button', { name: 'Create administrator' }).click();
    await page.getByRole('heading', { name: 'Flags', exact: true }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/flags');
    expect((await api.get('/api/v1/setup')).body).toEqual({ needed: false });
  }, 60_000);

  it('creates a flag', async () => {
    await page.getByRole('button', { name: 'New flag' }).click();
    const form = page.getByRole('form', { name: 'New flag' });
    await form.getByLabel('Key').fill(FLAG);
    await form.getByLabel('Name', { exact: true }).fill('New checkout flow');
    await form.getByLabel('Owner').fill('team-payments');
    await form.getByLabel('Tags').fill('checkout, q3');
    await form.getByRole('button', { name: 'Create flag' }).click();
    await page.getByRole('heading', { name: /checkout\.new-flow/ }).waitFor();
    expect(new URL(page.url()).pathname).toBe(`/flags/${FLAG}`);
    const flag = (await api.get(`/api/v1/flags/${FLAG}`)).body;
    expect(flag).toMatchObject({ key: FLAG, name: 'New checkout flow', owner: 'team-payments', tags: ['checkout', 'q3'], type: 'boolean' });
  }, 60_000);

  it('adds a rule country in [NO] with a 30/70 rollout in production, refusing sums other than 100%', async () => {
    await page
      .getByRole('navigation', { name: 'Environments' })
      .getByRole('link', { name: /Production/ })
      .click();
    await page.getByRole('button', { name: 'Add rule' }).click();
    await page.getByLabel('Attribute (rule 1, condition 1)').fill('country');
    await page.getByLabel('Operator (rule 1, condition 1)').selectOption('in');
    await page.getByLabel('Values (rule 1, condition 1)').fill('NO');
    const rule = page.getByRole('listitem', { name: 'Rule 1' });
    await rule.getByLabel('Percentage rollout').check();
    const on = page.getByLabel('Percentage for on (Rule 1 serves)');
    const off = page.getByLabel('Percentage for off (Rule 1 serves)');
    await on.fill('30');
    expect(await off.inputValue()).toBe('70');
    // A two-way split rebalances as you type; a share it cannot balance blocks saving, and says why.
    await off.fill('120');
    const save = page.getByRole('button', { name: 'Save Production' });
    await rule.getByText('must be at most 100').waitFor();
    await page.getByText('Percentages must add up to 100% before you can save.').waitFor();
    expect(await save.isDisabled()).toBe(true);
    await off.fill('70');
    await rule.getByText('Total 100% ✓').waitFor();
    expect(await on.inputValue()).toBe('30');
    expect(await save.isDisabled()).toBe(false);
    await save.click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('button', { name: 'Save to Production' }).click();
    await page.getByText(/^Saved as v\d+\.$/).waitFor();

    const production = (await api.get(`/api/v1/flags/${FLAG}`)).body.environments.production;
    expect(production.rules).toHaveLength(1);
    expect(production.rules[0].conditions).toEqual([{ attribute: 'country', operator: 'in', values: ['NO'] }]);
    expect(production.rules[0].serve.rollout).toEqual([
      { variant: 'on', weight: 30000 },
      { variant: 'off', weight: 70000 },
    ]);
    expect(production.enabled).toBe(false);
  }, 60_000);

  let second: Page;

  it('toggles the flag on in production only through the confirmation, and a second browser sees it live', async () => {
    // A colleague's browser (its own cookie jar) signs in and watches the list; one's own changes raise no toast, theirs do.
    expect((await api.post('/api/v1/users', { ...COLLEAGUE, role: 'editor' })).status).toBe(201);
    const otherContext = await browser.newContext({ viewport: { width: 1360, height: 900 } });
    second = await otherContext.newPage();
    second.setDefaultTimeout(15_000);
    await second.goto(`${server.url}/flags`);
    await second.getByRole('heading', { name: 'Sign in to Switchyard' }).waitFor();
    await second.getByLabel('Email').fill(COLLEAGUE.email);
    await second.getByLabel('Password').fill(COLLEAGUE.password);
    await second.getByRole('button', { name: 'Sign in' }).click();
    await switchFor(second, 'Production').waitFor();
    expect(await switchFor(second, 'Production').getAttribute('aria-checked')).toBe('false');
    await second.getByRole('status', { name: 'Live updates connected' }).waitFor();

    await nav(page, 'Flags').click();
    await page.getByRole('status', { name: 'Live updates connected' }).waitFor();
    const production = switchFor(page, 'Production');
    // Cancelling the confirmation changes nothing.
    await production.click();
    await page
      .getByRole('dialog')
      .getByRole('heading', { name: `Turn on ${FLAG} in Production?` })
      .waitFor();
    await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();
    expect(await production.getAttribute('aria-checked')).toBe('false');
    expect((await api.get(`/api/v1/flags/${FLAG}`)).body.environments.production.enabled).toBe(false);
    // Confirming turns it on.
    await production.click();
    await page.getByRole('dialog').getByRole('button', { name: 'Turn on in Production' }).click();
    await page.locator(`[role=switch][aria-label="${FLAG} in Production"][aria-checked=true]`).waitFor();
    expect((await api.get(`/api/v1/flags/${FLAG}`)).body.environments.production.enabled).toBe(true);

    // The other browser follows over SSE, without a reload, and says who did it.
    await second.locator(`[role=switch][aria-label="${FLAG} in Production"][aria-checked=true]`).waitFor();
    await second.getByTestId('live-feed').getByText(`${ADMIN.email} changed ${FLAG} (now on) in production`).waitFor();
    await screenshot(page, 'flags-list', 520);
  }, 60_000);

  it('previews the variant the engine gives, in the browser', async () => {
    await page.getByRole('link', { name: FLAG }).click();
    await page
      .getByRole('navigation', { name: 'Environments' })
      .getByRole('link', { name: /Production/ })
      .click();
    await page.getByRole('heading', { name: 'Preview' }).waitFor();
    const flag = (await api.get(`/api/v1/flags/${FLAG}`)).body;
    const config: EnvironmentConfig = flag.environments.production;
    const expected = (context: EvaluationContext) => evaluate({ key: flag.key, type: flag.type, variants: flag.variants }, config, context);

    // Find Norwegian users on both sides of the 30/70 split, so the preview must really bucket.
    const users = Array.from({ length: 40 }, (_, i) => `user-${i}`);
    const onUser = users.find((key) => expected({ targetingKey: key, country: 'NO' }).variant === 'on')!;
    const offUser = users.find((key) => expected({ targetingKey: key, country: 'NO' }).variant === 'off')!;
    const cases: EvaluationContext[] = [
      { targetingKey: onUser, country: 'NO' },
      { targetingKey: offUser, country: 'NO' },
      { targetingKey: offUser, country: 'SE' },
    ];
    for (const context of cases) {
      const want = expected(context);
      await page.getByLabel('Context (JSON)').fill(JSON.stringify(context));
      await page.getByTestId('preview-variant').getByText(want.variant!, { exact: true }).waitFor();
      expect(await page.getByTestId('preview-reason').textContent()).toBe(want.reason);
      expect(await page.getByTestId('preview-value').textContent()).toBe(JSON.stringify(want.value));
    }
    expect(expected(cases[0]).reason).toBe('SPLIT');
    expect(expected(cases[2])).toMatchObject({ variant: 'on', reason: 'DEFAULT' });
    await page.getByLabel('Context (JSON)').fill(JSON.stringify(cases[1], null, 2));
    await page.getByTestId('preview-rule').getByText('Rule 1').waitFor();
    await dismissFeed(page);
    await screenshot(page, 'flag-detail', 1240);
  }, 60_000);

  it('shows the audit entry with who toggled what, in plain sentences', async () => {
    await nav(page, 'Audit log').click();
    await page.getByLabel('Action').fill('flag.toggled');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    const row = page.locator('tr[data-action="flag.toggled"]').first();
    await row.waitFor();
    // People by name; the raw actor stays in the cell's title.
    expect(await row.textContent()).toContain(ADMIN.name);
    expect(await row.locator('td').nth(1).getAttribute('title')).toBe(`user:${ADMIN.email}`);
    expect(await row.textContent()).toContain(`flag:${FLAG}`);
    expect(await row.textContent()).toContain('production');
    await row.getByRole('button', { name: 'Changes' }).click();
    await page.getByRole('list', { name: 'What flag.toggled changed' }).getByText('Production: turns ON').waitFor();
    // Every field is still there on request, without internal counters.
    await page.locator('.audit-detail summary', { hasText: 'All fields' }).click();
    const enabledRow = page.locator('.audit-detail table.diff tr', { hasText: 'enabled' });
    expect((await enabledRow.textContent())?.replace(/\s+/g, ' ')).toContain('enabledchangedfalsetrue');
    expect(await page.locator('.audit-detail table.diff').textContent()).not.toContain('version');
    await page.getByLabel('Action').fill('');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.locator('tr[data-action="flag.environment.updated"]').first().waitFor();
    await dismissFeed(page);
    await screenshot(page, 'audit-log', 760);
  }, 60_000);

  it('shows what changed when a save is based on a stale version, and reloads', async () => {
    await page.goto(`${server.url}/flags/${FLAG}?environment=production`);
    await page.getByRole('heading', { name: 'Rules' }).waitFor();
    await page.getByLabel('Description of rule 1').fill('Nordic pilot');
    // Someone else changes production's default while these edits are unsaved.
    const other = await api.patch(
      `/api/v1/flags/${FLAG}/environments/production`,
      { defaultServe: { variant: 'off' } },
      { 'x-switchyard-confirm': 'production' },
    );
    expect(other.status).toBe(200);
    await page.getByText(/changed this flag in production\. Your unsaved edits are kept/).waitFor();
    await page.getByRole('button', { name: 'Save Production' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Save to Production' }).click();
    const conflict = page.getByRole('alert').filter({ has: page.getByRole('heading', { name: 'Someone else changed this flag' }) });
    await conflict.waitFor();
    const change = conflict.locator('tr', { hasText: 'defaultServe.variant' });
    expect((await change.textContent())?.replace(/\s+/g, '')).toBe('defaultServe.variantchanged"on""off"');
    // Nothing of ours was written.
    expect((await api.get(`/api/v1/flags/${FLAG}`)).body.environments.production.rules[0].description).toBeUndefined();
    await screenshot(page, 'conflict', 1100);
    await conflict.getByRole('button', { name: 'Reload (discard my edits)' }).click();
    await conflict.waitFor({ state: 'detached' });
    expect(await page.getByLabel('Description of rule 1').inputValue()).toBe('');
    expect(await page.locator('#defaultServe-variant').inputValue()).toBe('off');
  }, 60_000);

  it('does not let a viewer toggle', async () => {
    const created = await api.post('/api/v1/users', { ...VIEWER, role: 'viewer' });
    expect(created.status).toBe(201);
    const context = await browser.newContext();
    const viewer = await context.newPage();
    viewer.setDefaultTimeout(15_000);
    await viewer.goto(`${server.url}/flags`);
    await viewer.getByLabel('Email').fill(VIEWER.email);
    await viewer.getByLabel('Password').fill(VIEWER.password);
    await viewer.getByRole('button', { name: 'Sign in' }).click();
    const development = switchFor(viewer, 'Development');
    await development.waitFor();
    expect(await development.isDisabled()).toBe(true);
    await development.click({ force: true });
    expect(await development.getAttribute('aria-checked')).toBe('false');
    expect(await viewer.getByRole('button', { name: 'New flag' }).count()).toBe(0);
    // The server refuses too, whatever the page shows.
    const status = await viewer.evaluate(async (key) => {
      const session = (await (await fetch('/api/v1/session')).json()) as { csrfToken: string };
      const res = await fetch(`/api/v1/flags/${key}/environments/development/toggle`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-csrf-token': session.csrfToken },
        body: JSON.stringify({ enabled: true }),
      });
      return res.status;
    }, FLAG);
    expect(status).toBe(403);
    expect((await api.get(`/api/v1/flags/${FLAG}`)).body.environments.development.enabled).toBe(false);
    await waitFor(async () => (await viewer.getByText('You are signed in as a viewer').count()) === 1, 5_000, 'viewer notice');
  }, 60_000);
});
