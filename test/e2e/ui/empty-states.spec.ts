import type { Browser, Page } from 'playwright-core';
import { ApiClient } from '../../support/api-client';
import { requireTool } from '../../support/system-tool';
import { startTestServer, waitFor, type TestServer } from '../../support/test-server';
import { collectProblems, launchChromium, screenshot } from './browser';
import { ensureUiBuilt } from './ensure-ui-built';

const ADMIN = { name: 'Grace Admin', email: 'grace@example.com', password: 'a long admin password' };

/**
 * A fresh install in Chromium: every empty page says what to do next (the flags page with a real
 * SDK token), archived flags behind a filter and restorable, filters in the URL, page titles,
 * the own-password page, and a sign-in page without console errors.
 */
(requireTool('chromium', 'chromium') ? describe : describe.skip)('empty states, URL filters and the account page in Chromium', () => {
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
    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    page.setDefaultTimeout(15_000);
    problems = collectProblems(page);
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  afterEach(() => {
    expect(problems.filter((p) => p.startsWith('pageerror'))).toEqual([]);
  });

  it('shows the sign-in page without a console error, titled', async () => {
    await page.goto(`${server.url}/flags`);
    await page.getByRole('heading', { name: 'Sign in to Switchyard' }).waitFor();
    await page.waitForLoadState('networkidle');
    expect(problems).toEqual([]);
    expect(await page.title()).toBe('Sign in · Switchyard');
    await page.getByLabel('Email').fill(ADMIN.email);
    await page.getByLabel('Password').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Flags', exact: true }).waitFor();
    expect(await page.title()).toBe('Flags · Switchyard');
  }, 60_000);

  it('guides the first flag with an SDK snippet holding a real token for the chosen environment', async () => {
    const guide = page.getByTestId('first-flag-guide');
    await guide.getByRole('button', { name: 'Create your first flag' }).waitFor();
    expect(await page.getByText('No flags match.').count()).toBe(0);
    const snippet = guide.getByTestId('sdk-snippet');
    expect(await snippet.textContent()).toContain('<a token with scope sdk:development>');
    await snippet.getByLabel('Environment').selectOption('staging');
    await snippet.getByRole('button', { name: 'Create SDK token for Staging' }).click();
    await snippet.getByText('Token created for Staging').waitFor();
    const text = (await snippet.textContent()) ?? '';
    expect(text).toContain('/ofrep/v1/evaluate/flags/');
    expect(text).toContain("import { createClient } from '@switchyard/node-sdk'");
    const token = /SWITCHYARD_SDK_TOKEN=(sy_[A-Za-z0-9_-]+)/.exec(text)?.[1];
    expect(token).toBeDefined();
    const snapshot = await fetch(`${server.url}/sdk/v1/snapshot`, { headers: { authorization: `Bearer ${token}` } });
    expect(snapshot.status).toBe(200);
    expect(((await snapshot.json()) as { environment: string }).environment).toBe('staging');
    await screenshot(page, 'empty-flags', 1100);
  }, 60_000);

  it('guides the first release with the command and a drawing of the stages', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Releases' }).click();
    const guide = page.getByTestId('first-release-guide');
    await guide.waitFor();
    expect(await guide.locator('pre').textContent()).toContain('npx switchyard release --dir . --branch main');
    expect(await guide.locator('.stage-step').allTextContents()).toEqual(['build', 'test', 'publish', 'staging', 'approval', 'canary', 'production']);
    expect(await page.title()).toBe('Releases · Switchyard');
    await screenshot(page, 'empty-releases');
  }, 60_000);

  it('guides the first dark launch with the proxy command and a sample route that the API accepts', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Dark launch' }).click();
    const guide = page.getByTestId('first-route-guide');
    await guide.waitFor();
    const [route, proxy] = await guide.locator('pre').allTextContents();
    expect(proxy).toContain(`npx switchyard proxy --server ${server.url} --environment production`);
    expect(proxy).toContain('sdk:production and mirror:report:quotes');
    const sample = JSON.parse(route.slice(route.indexOf('{'))) as Record<string, unknown>;
    expect(sample).toMatchObject({ name: 'quotes', sample: { percent: 5 } });
    expect(await page.title()).toBe('Dark launch · Switchyard');
    await screenshot(page, 'empty-dark-launch');
  }, 60_000);

  it('creates the first flag from the guide; its usage tab says how usage arrives', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Flags', exact: true }).click();
    await page.getByRole('button', { name: 'Create your first flag' }).click();
    const form = page.getByRole('form', { name: 'New flag' });
    await form.getByLabel('Key').fill('checkout.new-flow');
    await form.getByRole('button', { name: 'Create flag' }).click();
    await waitFor(async () => (await page.title()) === 'checkout.new-flow · Flags · Switchyard', 10_000, 'the flag page title');
    await page.getByRole('navigation', { name: 'Flag sections' }).getByRole('link', { name: 'Usage' }).click();
    const guide = page.getByTestId('usage-guide');
    await guide.waitFor();
    expect(await guide.textContent()).toContain('POST /sdk/v1/metrics');
    expect(await guide.locator('pre').nth(1).textContent()).toContain('"flag":"checkout.new-flow"');
    expect(await page.title()).toBe('Usage · checkout.new-flow · Flags · Switchyard');
  }, 60_000);

  it('keeps archived flags behind "Show archived", searchable, in the URL, and restores one', async () => {
    expect((await api.post('/api/v1/flags', { key: 'old.banner', type: 'boolean', tags: ['web'] })).status).toBe(201);
    expect((await api.delete('/api/v1/flags/old.banner', { 'x-switchyard-confirm': 'production' })).status).toBe(200);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Flags', exact: true }).click();
    await page.locator('tr[data-flag="checkout.new-flow"]').waitFor();
    expect(await page.locator('tr[data-flag="old.banner"]').count()).toBe(0);

    await page.getByLabel('Show archived').check();
    await page.locator('tr[data-flag="old.banner"]').waitFor();
    await page.getByLabel('Search').fill('bann');
    await waitFor(() => new URL(page.url()).search === '?search=bann&archived=true', 5_000, 'the filters in the URL');
    await page.reload();
    await page.locator('tr[data-flag="old.banner"]').waitFor();
    expect(await page.getByLabel('Search').inputValue()).toBe('bann');
    expect(await page.getByLabel('Show archived').isChecked()).toBe(true);
    expect(await page.locator('tr[data-flag]').count()).toBe(1);

    await page.getByRole('button', { name: 'Restore old.banner' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Restore' }).click();
    await page.getByText('old.banner is restored.').waitFor();
    expect((await api.get('/api/v1/flags/old.banner')).body.archived).toBe(false);
    expect((await api.get('/api/v1/audit?action=flag.unarchived')).body.items[0]).toMatchObject({ actor: 'user:grace@example.com', actorName: 'Grace Admin' });

    // The "Flags" link clears the filters, and back brings them again.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Flags', exact: true }).click();
    await waitFor(() => new URL(page.url()).search === '', 5_000, 'no filters');
    expect(await page.getByLabel('Search').inputValue()).toBe('');
    await page.goBack();
    await waitFor(async () => (await page.getByLabel('Search').inputValue()) === 'bann', 5_000, 'the search back');
  }, 60_000);

  it('filters the audit log by prefix, names people, and keeps the filters over a reload', async () => {
    await page.goto(`${server.url}/audit?actor=grace`);
    await page.getByRole('heading', { name: 'Audit log' }).waitFor();
    await page.locator('tr[data-action="flag.unarchived"]').waitFor();
    const actors = await page.locator('table.audit-table tbody tr td:nth-child(2)').allTextContents();
    expect(actors.length).toBeGreaterThan(0);
    expect(new Set(actors)).toEqual(new Set(['Grace Admin']));
    expect(await page.title()).toBe('Audit log · Switchyard');

    await page.getByLabel('Actor starts with').fill('');
    await page.getByLabel('Target starts with').fill('flag:old');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await waitFor(() => new URL(page.url()).search === '?target=flag%3Aold', 5_000, 'the target filter in the URL');
    await page.reload();
    await page.locator('tr[data-action="flag.created"]').waitFor();
    expect(await page.getByLabel('Target starts with').inputValue()).toBe('flag:old');
    const targets = await page.locator('table.audit-table tbody tr td:nth-child(4)').allTextContents();
    expect(new Set(targets)).toEqual(new Set(['flag:old.banner']));
    expect(await page.locator('table.audit-table tbody tr td:nth-child(2)').allTextContents()).toContain('token bootstrap-admin');
  }, 60_000);

  it('changes the own password from the user menu; the old password stops working', async () => {
    await page.getByRole('link', { name: /Grace Admin/ }).click();
    await page.getByRole('heading', { name: 'Your account' }).waitFor();
    expect(await page.title()).toBe('Your account · Switchyard');
    await page.getByLabel('Current password').fill('not the password');
    await page.getByLabel('New password', { exact: true }).fill('a new admin password');
    await page.getByLabel('New password again').fill('a new admin password');
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByText('is not your current password').waitFor();
    await page.getByLabel('Current password').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByText('Password changed.').waitFor();
    await screenshot(page, 'account');

    const signIn = (password: string) => api.withToken(undefined).post('/api/v1/session', { email: ADMIN.email, password });
    expect((await signIn(ADMIN.password)).status).toBe(401);
    expect((await signIn('a new admin password')).status).toBe(200);
    // This browser's session stays signed in.
    await page.reload();
    await page.getByRole('heading', { name: 'Your account' }).waitFor();
  }, 60_000);
});
