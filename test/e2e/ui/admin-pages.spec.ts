import type { Browser, Page } from 'playwright-core';
import { ApiClient } from '../../support/api-client';
import { requireTool } from '../../support/system-tool';
import { startTestServer, waitFor, type TestServer } from '../../support/test-server';
import { collectProblems, launchChromium, screenshot } from './browser';
import { ensureUiBuilt } from './ensure-ui-built';

const ADMIN = { name: 'Grace Admin', email: 'grace@example.com', password: 'a long admin password' };
const FLAG = 'search.ranking';

/**
 * The rest of the admin UI in Chromium: segments and the segment picker, typed condition values,
 * rule reordering, API errors next to their fields, history with restore, usage, API tokens,
 * users and sign-out.
 */
(requireTool('chromium', 'chromium') ? describe : describe.skip)('admin UI pages in Chromium', () => {
  let server: TestServer;
  let api: ApiClient;
  let browser: Browser;
  let page: Page;
  let problems: string[];

  beforeAll(async () => {
    await ensureUiBuilt();
    server = await startTestServer();
    api = new ApiClient(server.url, server.adminToken);
    const setup = await api.post('/api/v1/setup', { adminToken: server.adminToken, ...ADMIN });
    expect(setup.status).toBe(201);
    const created = await api.post('/api/v1/flags', { key: FLAG, name: 'Search ranking', type: 'string', variants: { classic: 'classic', neural: 'neural' } });
    expect(created.status).toBe(201);
    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: { width: 1360, height: 900 } })).newPage();
    page.setDefaultTimeout(15_000);
    problems = collectProblems(page);
    await page.goto(`${server.url}/segments`);
    await page.getByLabel('Email').fill(ADMIN.email);
    await page.getByLabel('Password').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    // Signing in keeps the page that was asked for.
    await page.getByRole('heading', { name: 'Segments' }).waitFor();
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  afterEach(() => {
    expect(problems.filter((p) => p.startsWith('pageerror'))).toEqual([]);
  });

  it('creates a segment with a case-insensitive text condition', async () => {
    await page.getByRole('button', { name: 'New segment' }).click();
    await page.getByLabel('Key').fill('staff');
    await page.getByLabel('Name', { exact: true }).fill('Staff');
    await page.getByLabel('Attribute (condition 1)').fill('email');
    await page.getByLabel('Operator (condition 1)').selectOption('ends_with');
    await page.getByLabel('Values (condition 1)').fill('@example.com');
    await page.getByLabel('Ignore case').check();
    await page.getByRole('button', { name: 'Save segment' }).click();
    await page.getByRole('cell', { name: 'email ends with @example.com (any case)' }).waitFor();
    await screenshot(page, 'segments', 700);
    expect((await api.get('/api/v1/segments/staff')).body.conditions).toEqual([
      { attribute: 'email', operator: 'ends_with', values: ['@example.com'], caseInsensitive: true },
    ]);
  }, 60_000);

  it('shows API errors next to the field they name', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Flags', exact: true }).click();
    await page.getByRole('button', { name: 'New flag' }).click();
    const form = page.getByRole('form', { name: 'New flag' });
    await form.getByLabel('Key').fill(FLAG);
    await form.getByRole('button', { name: 'Create flag' }).click();
    await form.locator('#new-flag-key-error').getByText('is already taken').waitFor();
    expect(await form.getByLabel('Key').getAttribute('aria-invalid')).toBe('true');
    await form.getByLabel('Key').fill('Not A Key');
    await form.getByRole('button', { name: 'Create flag' }).click();
    await form
      .locator('#new-flag-key-error')
      .getByText(/use 1–128 lowercase letters, digits/)
      .waitFor();
    await form.getByRole('button', { name: 'Cancel' }).click();
  }, 60_000);

  it('builds rules with the segment picker and typed values, and reorders them', async () => {
    await page.getByRole('link', { name: FLAG }).click();
    await page.getByRole('heading', { name: 'Rules' }).waitFor();
    // Rule 1: age ≥ 18, typed as a number.
    await page.getByRole('button', { name: 'Add rule' }).click();
    await page.getByLabel('Attribute (rule 1, condition 1)').fill('age');
    await page.getByLabel('Operator (rule 1, condition 1)').selectOption('gte');
    await page.getByLabel('Values (rule 1, condition 1)').fill('eighteen');
    await page.getByLabel('Variant (Rule 1 serves)').selectOption('neural');
    // Rule 2: staff, through the segment picker.
    await page.getByRole('button', { name: 'Add rule' }).click();
    await page.getByLabel('Operator (rule 2, condition 1)').selectOption('in_segment');
    await page.getByRole('listitem', { name: 'Rule 2' }).getByLabel(/Staff/).check();
    await page.getByLabel('Description of rule 2').fill('Staff first');
    const save = page.getByRole('button', { name: 'Save Development' });
    await save.click();
    // The typed value is refused in the browser, next to its input, and nothing is sent.
    await page.locator('#rules-0-conditions-0-values-error').getByText('must be a number, e.g. 30 or 2.5').waitFor();
    expect((await api.get(`/api/v1/flags/${FLAG}`)).body.environments.development.rules).toEqual([]);
    await page.getByLabel('Values (rule 1, condition 1)').fill('18');
    await page.getByRole('button', { name: 'Move rule 2 up' }).click();
    expect(await page.getByLabel('Description of rule 1').inputValue()).toBe('Staff first');
    await save.click();
    await page.getByText(/^Saved as v\d+\.$/).waitFor();
    const rules = (await api.get(`/api/v1/flags/${FLAG}`)).body.environments.development.rules;
    expect(rules.map((r: any) => r.conditions)).toEqual([
      [{ attribute: '', operator: 'in_segment', values: ['staff'] }],
      [{ attribute: 'age', operator: 'gte', values: [18] }],
    ]);
    expect(rules[0].description).toBe('Staff first');
    expect(rules[1].serve).toEqual({ variant: 'neural' });
    // Development needs no confirmation: the switch on the flag page turns it on at once.
    await page.getByRole('switch', { name: `${FLAG} in Development` }).click();
    await page.locator(`[role=switch][aria-label="${FLAG} in Development"][aria-checked=true]`).waitFor();
    expect((await api.get(`/api/v1/flags/${FLAG}`)).body.environments.development.enabled).toBe(true);
    // The preview follows the segment: a staff address matches rule 1, whatever its case.
    await page.getByLabel('Context (JSON)').fill('{"targetingKey":"u1","email":"Ops@EXAMPLE.com"}');
    await page.getByTestId('preview-rule').getByText('Rule 1: Staff first').waitFor();
    expect(await page.getByTestId('preview-reason').textContent()).toBe('TARGETING_MATCH');
    await page.getByLabel('Context (JSON)').fill('{"targetingKey":"u1","email":"x@elsewhere.org","age":"21"}');
    await page.getByTestId('preview-rule').getByText('Rule 2').waitFor();
    expect(await page.getByTestId('preview-variant').textContent()).toBe('neural');
    // The segment is now in use, so it cannot be deleted.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Segments' }).click();
    await page.getByRole('button', { name: 'Delete staff' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
    await page.getByText(`staff is still used by flag ${FLAG}: remove it there first.`).waitFor();
  }, 60_000);

  it('shows history in plain sentences and restores an earlier version', async () => {
    await page.goto(`${server.url}/flags/${FLAG}/history`);
    await page.getByRole('list', { name: 'Versions' }).waitFor();
    const before = (await api.get(`/api/v1/flags/${FLAG}`)).body.version;
    await page.getByRole('button', { name: /^v1 / }).click();
    await page.getByRole('heading', { name: 'v1', exact: true }).waitFor();
    await page
      .getByRole('region', { name: /^Restoring v1/ })
      .getByRole('region', { name: 'Changes in Development' })
      .getByText(/^Rule .* removed$/)
      .first()
      .waitFor();
    await screenshot(page, 'history', 900);
    await page.getByRole('button', { name: 'Restore v1', exact: true }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Restore' }).click();
    await page.getByRole('heading', { name: `v${before + 1} (current)` }).waitFor();
    const restored = (await api.get(`/api/v1/flags/${FLAG}`)).body;
    expect(restored.version).toBe(before + 1);
    expect(restored.environments.development.rules).toEqual([]);
  }, 60_000);

  it('charts usage per variant and shows when each environment last evaluated the flag', async () => {
    const sdkToken = await api.token_('usage-sdk', ['sdk:production']);
    const sdk = api.withToken(sdkToken);
    expect(
      (
        await sdk.post('/sdk/v1/metrics', {
          counts: [
            { flag: FLAG, variant: 'classic', count: 120 },
            { flag: FLAG, variant: 'neural', count: 30 },
          ],
        })
      ).status,
    ).toBe(202);
    await page.getByRole('navigation', { name: 'Flag sections' }).getByRole('link', { name: 'Usage' }).click();
    await page.getByText('classic: 120', { exact: true }).waitFor();
    await page.getByText('neural: 30', { exact: true }).waitFor();
    expect(await page.locator('svg.chart polyline').count()).toBe(2);
    const production = page.getByRole('row', { name: /Production/ });
    expect(await production.textContent()).toContain('just now');
    expect(await production.textContent()).toContain('150');
    expect(await page.getByRole('row', { name: /Staging/ }).textContent()).toContain('never');
    await screenshot(page, 'usage', 900);
  }, 60_000);

  it('creates an API token, shows its secret once, and revokes it', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'API tokens' }).click();
    await page.getByLabel('Name').fill('reporting');
    await page.getByLabel('flags:read').check();
    await page.getByRole('button', { name: 'Create token' }).click();
    const secret = await page.getByLabel('Secret').inputValue();
    expect(secret).toMatch(/^sy_/);
    await screenshot(page, 'tokens', 900);
    expect((await api.withToken(secret).get('/api/v1/flags')).status).toBe(200);
    await page.getByRole('button', { name: 'Done' }).click();
    await page.reload();
    await page.getByRole('row', { name: /reporting/ }).waitFor();
    expect(await page.getByLabel('Secret').count()).toBe(0);
    expect(await page.content()).not.toContain(secret);
    await page.getByRole('button', { name: 'Revoke reporting' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Revoke' }).click();
    await page.getByRole('row', { name: /reporting.*revoked/ }).waitFor();
    // Revocation reaches other replicas' token caches within their TTL; this one's at once or soon.
    await waitFor(async () => (await api.withToken(secret).get('/api/v1/flags')).status === 401, 15_000, 'the revoked token to be refused');
  }, 60_000);

  it('manages users and signs out', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Users' }).click();
    const form = page.getByRole('form', { name: 'New user' });
    await form.getByLabel('Name').fill('Eddie Editor');
    await form.getByLabel('Email').fill('eddie@example.com');
    await form.getByLabel('Role').selectOption('editor');
    await form.getByLabel('Initial password').fill('short');
    await form.getByRole('button', { name: 'Create user' }).click();
    await form.locator('#user-password-error').getByText('must be at least 12 characters').waitFor();
    await form.getByLabel('Initial password').fill('an editor password');
    await form.getByRole('button', { name: 'Create user' }).click();
    await page.getByText('eddie@example.com can now sign in as editor.').waitFor();
    await page.getByLabel('Role of eddie@example.com').selectOption('viewer');
    await waitFor(
      async () => (await api.get('/api/v1/users')).body.items.find((u: any) => u.email === 'eddie@example.com')?.role === 'viewer',
      10_000,
      'the role change',
    );

    await screenshot(page, 'users', 800);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in to Switchyard' }).waitFor();
    expect(await page.evaluate(async () => (await fetch('/api/v1/session')).status)).toBe(401);
  }, 60_000);
});
