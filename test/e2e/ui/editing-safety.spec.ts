import type { Browser, Page } from 'playwright-core';
import { ApiClient } from '../../support/api-client';
import { requireTool } from '../../support/system-tool';
import { startTestServer, waitFor, type TestServer } from '../../support/test-server';
import { collectProblems, launchChromium } from './browser';
import { ensureUiBuilt } from './ensure-ui-built';

const ADMIN = { name: 'Edith Editor', email: 'edith@example.com', password: 'a long enough password' };
const FLAG = 'checkout.safety';
const NUMBERS = 'search.limit';

/**
 * Editing safety in Chromium: unsaved targeting edits are not thrown away without asking, targeting
 * can be copied from another environment, variants are edited as a typed table, one's own changes
 * raise no toasts, and the flags list keeps the switch (focus and position) after a toggle.
 */
(requireTool('chromium', 'chromium') ? describe : describe.skip)('editing safety in Chromium', () => {
  let server: TestServer;
  let api: ApiClient;
  let browser: Browser;
  let page: Page;
  let problems: string[];

  const nav = (name: string) => page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true });
  const leaveDialog = () => page.getByRole('dialog', { name: 'Discard unsaved edits?' });
  const feedItems = () => page.getByTestId('live-feed').getByRole('listitem');
  /** Whether leaving the page now would make the browser ask (a `beforeunload` handler cancels it). */
  const unloadIsGuarded = () =>
    page.evaluate(`(() => { const e = new Event('beforeunload', { cancelable: true }); window.dispatchEvent(e); return e.defaultPrevented; })()`);

  beforeAll(async () => {
    await ensureUiBuilt();
    server = await startTestServer();
    api = new ApiClient(server.url, server.adminToken);
    expect((await api.post('/api/v1/setup', { adminToken: server.adminToken, ...ADMIN })).status).toBe(201);
    for (const key of [FLAG, 'checkout.other', 'checkout.third']) expect((await api.post('/api/v1/flags', { key, type: 'boolean' })).status).toBe(201);
    expect((await api.post('/api/v1/flags', { key: NUMBERS, type: 'number', variants: { low: 10, high: 100 } })).status).toBe(201);
    const staging = await api.patch(`/api/v1/flags/${FLAG}/environments/staging`, {
      rules: [{ description: 'Nordics', conditions: [{ attribute: 'country', operator: 'in', values: ['SE', 'NO'] }], serve: { variant: 'on' } }],
      defaultServe: {
        rollout: [
          { variant: 'on', weight: 30000 },
          { variant: 'off', weight: 70000 },
        ],
        salt: 'fixedsalt',
      },
    });
    expect(staging.status).toBe(200);
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

  it('asks before unsaved targeting edits are thrown away: tab, environment, back button, in-app link, reload', async () => {
    await page.getByRole('link', { name: FLAG, exact: true }).click();
    await page.getByRole('heading', { name: 'Rules' }).waitFor();
    expect(await unloadIsGuarded()).toBe(false);
    await page.getByRole('button', { name: 'Add rule' }).click();
    await page.getByLabel('Description of rule 1').fill('Beta testers');
    expect(await unloadIsGuarded()).toBe(true);

    // Another tab of the flag: "Cancel" keeps the page and the edits.
    await page.getByRole('navigation', { name: 'Flag sections' }).getByRole('link', { name: 'History' }).click();
    await leaveDialog().getByRole('button', { name: 'Cancel' }).click();
    await leaveDialog().waitFor({ state: 'detached' });
    expect(new URL(page.url()).pathname).toBe(`/flags/${FLAG}`);
    expect(await page.getByLabel('Description of rule 1').inputValue()).toBe('Beta testers');

    // Another environment asks too.
    await page
      .getByRole('navigation', { name: 'Environments' })
      .getByRole('link', { name: /Staging/ })
      .click();
    await leaveDialog().getByRole('button', { name: 'Cancel' }).click();
    expect(new URL(page.url()).search).toBe('');
    expect(await page.getByLabel('Description of rule 1').inputValue()).toBe('Beta testers');

    // The browser's back button asks too; "Cancel" keeps the page, its URL and the edits.
    await page.goBack();
    await leaveDialog().getByRole('button', { name: 'Cancel' }).click();
    await leaveDialog().waitFor({ state: 'detached' });
    expect(new URL(page.url()).pathname).toBe(`/flags/${FLAG}`);
    expect(await page.getByLabel('Description of rule 1').inputValue()).toBe('Beta testers');

    // A link elsewhere in the app: discarding goes on, and nothing guards the next page.
    await nav('Audit log').click();
    await leaveDialog().getByRole('button', { name: 'Discard edits' }).click();
    await page.getByRole('heading', { name: 'Audit log' }).waitFor();
    expect(await unloadIsGuarded()).toBe(false);
    expect((await api.get(`/api/v1/flags/${FLAG}`)).body.environments.development.rules).toEqual([]);

    // Without edits, tabs change at once.
    await page.goto(`${server.url}/flags/${FLAG}`);
    await page.getByRole('heading', { name: 'Rules' }).waitFor();
    await page.getByRole('navigation', { name: 'Flag sections' }).getByRole('link', { name: 'History' }).click();
    await waitFor(() => new URL(page.url()).pathname === `/flags/${FLAG}/history`, 5_000, 'the history tab');
    expect(await leaveDialog().count()).toBe(0);
  }, 60_000);

  it('copies targeting from another environment as unsaved edits, saved only on Save', async () => {
    await page.goto(`${server.url}/flags/${FLAG}?environment=development`);
    await page.getByRole('heading', { name: 'Rules' }).waitFor();
    await page.getByRole('combobox', { name: 'Copy targeting from environment' }).selectOption({ label: 'Staging' });
    expect(await page.getByLabel('Description of rule 1').inputValue()).toBe('Nordics');
    await page.getByText('Copied targeting from Staging').waitFor();
    await page.getByRole('img', { name: 'Rollout: on 30 %, off 70 %' }).waitFor();
    expect((await api.get(`/api/v1/flags/${FLAG}`)).body.environments.development.rules).toEqual([]);
    await page.getByRole('button', { name: 'Save Development' }).click();
    await page.getByText(/^Saved/).waitFor();
    const flag = (await api.get(`/api/v1/flags/${FLAG}`)).body;
    const withoutIds = (rules: Array<Record<string, unknown>>) => rules.map(({ id: _id, ...rest }) => rest);
    expect(withoutIds(flag.environments.development.rules)).toEqual(withoutIds(flag.environments.staging.rules));
    expect(flag.environments.development.rules[0].id).not.toBe(flag.environments.staging.rules[0].id);
    expect(flag.environments.development.defaultServe).toEqual(flag.environments.staging.defaultServe);
  }, 60_000);

  it('edits variants as a typed table with descriptions, JSON only for object flags', async () => {
    await page.goto(`${server.url}/flags/${NUMBERS}/settings`);
    const table = page.getByRole('table', { name: 'Variants' });
    expect(await table.getByLabel('Value of low').inputValue()).toBe('10');
    expect(await table.locator('textarea').count()).toBe(0);
    await table.getByLabel('Value of high').fill('a lot');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByText('must be a number, e.g. 10 or 2.5').waitFor();
    expect(await table.getByLabel('Value of high').getAttribute('aria-invalid')).toBe('true');
    await table.getByLabel('Value of high').fill('250');
    await page.getByRole('button', { name: 'Add variant' }).click();
    await table.getByLabel('Name of variant 3').fill('max');
    await table.getByLabel('Value of max').fill('1000');
    await table.getByLabel('Description of max').fill('the ceiling for enterprise plans');
    await page.getByRole('button', { name: 'Save settings' }).click();
    // Production asks for confirmation of a change that reaches every environment.
    await page.getByRole('dialog').getByRole('button', { name: 'Confirm' }).click();
    await page.getByText(/^Saved/).waitFor();
    const saved = (await api.get(`/api/v1/flags/${NUMBERS}`)).body;
    expect(saved.variants).toEqual({ low: 10, high: 250, max: 1000 });
    expect(saved.variantDescriptions).toEqual({ max: 'the ceiling for enterprise plans' });
    await page.reload();
    expect(await page.getByRole('table', { name: 'Variants' }).getByLabel('Description of max').inputValue()).toBe('the ceiling for enterprise plans');
  }, 60_000);

  it('raises no toasts for one’s own changes, only for other people’s', async () => {
    await nav('Flags').click();
    await page.getByRole('switch', { name: `${FLAG} in Development` }).waitFor();
    for (const button of await page.getByTestId('live-feed').getByRole('button', { name: 'Dismiss' }).all()) await button.click();
    // Creating a flag (a change in every environment) and a toggle: no toast about oneself.
    await page.getByRole('button', { name: 'New flag' }).click();
    const form = page.getByRole('form', { name: 'New flag' });
    await form.getByLabel('Key').fill('checkout.mine');
    await form.getByRole('button', { name: 'Create flag' }).click();
    await page.getByRole('heading', { name: 'Rules' }).waitFor();
    await nav('Flags').click();
    const mine = page.getByRole('switch', { name: 'checkout.mine in Development' });
    await mine.click();
    await page.locator('[role=switch][aria-label="checkout.mine in Development"][aria-checked=true]').waitFor();
    // Someone else's change (an API token) is news; it arrives after ours, so ours would show by then.
    expect((await api.post('/api/v1/flags/checkout.other/environments/development/toggle', { enabled: true })).status).toBe(200);
    await feedItems().filter({ hasText: 'checkout.other' }).waitFor();
    expect(await feedItems().count()).toBe(1);
  }, 60_000);

  it('keeps the switch where it was and gives focus back to it after the confirm dialog', async () => {
    await nav('Flags').click();
    const development = page.getByRole('switch', { name: 'checkout.third in Development' });
    await development.waitFor();
    const before = await development.boundingBox();
    await development.click();
    await page.locator('[role=switch][aria-label="checkout.third in Development"][aria-checked=true]:not([aria-disabled])').waitFor();
    await page.getByRole('status').getByText('checkout.third is now on in Development.').waitFor();
    expect(await development.boundingBox()).toEqual(before);

    // Production asks first; whether confirmed or cancelled, focus is back on the switch.
    const production = page.getByRole('switch', { name: 'checkout.third in Production' });
    const focused = () => production.evaluate((el) => el === el.ownerDocument.activeElement);
    await production.focus();
    await page.keyboard.press('Space');
    await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();
    expect(await focused()).toBe(true);
    await page.keyboard.press('Space');
    await page.getByRole('dialog').getByRole('button', { name: 'Turn on in Production' }).click();
    await page.locator('[role=switch][aria-label="checkout.third in Production"][aria-checked=true]:not([aria-disabled])').waitFor();
    expect(await focused()).toBe(true);
    expect((await api.get('/api/v1/flags/checkout.third')).body.environments.production.enabled).toBe(true);
  }, 60_000);
});
