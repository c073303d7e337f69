import type { Browser, Page } from 'playwright-core';
import { ApiClient } from '../../support/api-client';
import { addPerson, PASSWORD, setUpFirstAdmin } from '../../support/people';
import { requireTool } from '../../support/system-tool';
import { startTestServer, waitFor, type TestServer } from '../../support/test-server';
import { launchChromium, openSignedIn } from './browser';
import { ensureUiBuilt } from './ensure-ui-built';

const FLAG = 'ui.env-roles';

/**
 * Per-environment roles in Chromium: an admin gives a viewer the editor role in development on the
 * users page; that person then finds the development switch usable and production's disabled, on
 * the flag list and on the flag's page.
 */
(requireTool('chromium', 'chromium') ? describe : describe.skip)('per-environment roles in Chromium', () => {
  let server: TestServer;
  let api: ApiClient;
  let browser: Browser;
  const problems: string[][] = [];

  async function signedIn(email: string, path: string, heading: string): Promise<Page> {
    const { page, problems: seen } = await openSignedIn(browser, `${server.url}${path}`, { email, password: PASSWORD }, heading);
    problems.push(seen);
    return page;
  }

  beforeAll(async () => {
    await ensureUiBuilt();
    server = await startTestServer();
    api = new ApiClient(server.url, server.adminToken);
    await setUpFirstAdmin(api, server.adminToken, 'ada@example.com', 'Ada');
    await addPerson(api, 'sam@example.com', 'Sam', 'viewer');
    expect((await api.post('/api/v1/flags', { key: FLAG, type: 'boolean' })).status).toBe(201);
    browser = await launchChromium();
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  afterEach(() => {
    expect(problems.flat().filter((p) => p.startsWith('pageerror'))).toEqual([]);
  });

  it('lets an admin set a role for one environment on the users page', async () => {
    const ada = await signedIn('ada@example.com', '/users', 'Users');
    const select = ada.getByLabel('Development override for sam@example.com');
    expect(await select.inputValue()).toBe('');
    await select.selectOption('editor');
    // The select saves on change; the server's answer is what counts.
    const samOf = async () => (await api.get('/api/v1/users')).body.items.find((u: { email: string }) => u.email === 'sam@example.com');
    const sam = await waitFor(
      async () => {
        const user = await samOf();
        return user?.environmentRoles?.development === 'editor' ? user : undefined;
      },
      10_000,
      "sam's development override to be saved",
    );
    expect(sam.environmentRoles).toEqual({ development: 'editor' });
    expect(sam.role).toBe('viewer');
  }, 60_000);

  it('disables the switches and targeting the person cannot use in that environment', async () => {
    const sam = await signedIn('sam@example.com', '/flags', 'Flags');
    const development = sam.getByRole('switch', { name: `${FLAG} in Development` });
    const production = sam.getByRole('switch', { name: `${FLAG} in Production` });
    await development.waitFor();
    expect(await development.isEnabled()).toBe(true);
    expect(await production.isDisabled()).toBe(true);
    expect(await production.getAttribute('title')).toContain('Your role in Production (viewer)');

    await development.click();
    await sam.waitForFunction(
      async (url) => ((await (await fetch(url)).json()) as any).environments.development.enabled === true,
      `${server.url}/api/v1/flags/${FLAG}`,
    );

    await sam.goto(`${server.url}/flags/${FLAG}?environment=production`);
    const onPage = sam.getByRole('switch', { name: `${FLAG} in Production` });
    await onPage.waitFor();
    expect(await onPage.isDisabled()).toBe(true);
    await sam.goto(`${server.url}/flags/${FLAG}?environment=development`);
    const devOnPage = sam.getByRole('switch', { name: `${FLAG} in Development` });
    await devOnPage.waitFor();
    expect(await devOnPage.isEnabled()).toBe(true);
    expect((await api.get(`/api/v1/flags/${FLAG}`)).body.environments.production.enabled).toBe(false);
  }, 60_000);
});
