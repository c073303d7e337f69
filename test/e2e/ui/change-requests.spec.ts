import type { Browser, Page } from 'playwright-core';
import { ApiClient } from '../../support/api-client';
import { addPerson, PASSWORD, setUpFirstAdmin } from '../../support/people';
import { requireTool } from '../../support/system-tool';
import { startTestServer, type TestServer } from '../../support/test-server';
import { launchChromium, openSignedIn } from './browser';
import { ensureUiBuilt } from './ensure-ui-built';

const FLAG = 'ui.change-request';

/**
 * Change requests in Chromium, production requiring approval: the author sees the pending request
 * on the flag in plain words and can only withdraw it; an approver approves it from the queue.
 */
(requireTool('chromium', 'chromium') ? describe : describe.skip)('change requests in Chromium', () => {
  let server: TestServer;
  let api: ApiClient;
  let browser: Browser;
  const pages: Page[] = [];
  const problems: string[][] = [];

  async function signedIn(email: string, path: string, heading: string): Promise<Page> {
    const { page, problems: seen } = await openSignedIn(browser, `${server.url}${path}`, { email, password: PASSWORD }, heading);
    problems.push(seen);
    pages.push(page);
    return page;
  }

  beforeAll(async () => {
    await ensureUiBuilt();
    server = await startTestServer({ productionApproval: true });
    api = new ApiClient(server.url, server.adminToken);
    await setUpFirstAdmin(api, server.adminToken, 'ada@example.com', 'Ada');
    await addPerson(api, 'amy@example.com', 'Amy', 'approver');
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

  it('shows the author a pending request on the flag, without an approve button', async () => {
    const ada = await signedIn('ada@example.com', `/flags/${FLAG}?environment=production`, FLAG);
    // Production asks for confirmation first, then the write comes back as a request (202), not a new version.
    await ada.getByRole('switch', { name: `${FLAG} in Production` }).click();
    await ada.getByRole('button', { name: 'Turn on in Production' }).click();
    await ada.getByText('Sent for approval in production').waitFor();
    expect((await api.get(`/api/v1/flags/${FLAG}`)).body.environments.production.enabled).toBe(false);
    const banner = ada.getByRole('region', { name: 'Pending change requests' });
    await banner.getByText('1 change waiting for approval').waitFor();
    await banner.getByText('Production: turns ON').waitFor();
    await banner.getByText('You made this request: someone else approves it.').waitFor();
    expect(await banner.getByRole('button', { name: 'Approve and apply' }).count()).toBe(0);
    expect(await banner.getByRole('button', { name: 'Withdraw' }).count()).toBe(1);
  }, 60_000);

  it('lets an approver approve from the queue, which applies the change', async () => {
    const amy = await signedIn('amy@example.com', '/change-requests', 'Change requests');
    const card = amy.getByRole('article', { name: `Change request for flag ${FLAG}` });
    await card.getByText('Production: turns ON').waitFor();
    await card.getByLabel('Comment').fill('go');
    await card.getByRole('button', { name: 'Approve and apply' }).click();
    await amy.getByText('No pending change requests.').waitFor();
    expect((await api.get(`/api/v1/flags/${FLAG}`)).body.environments.production.enabled).toBe(true);
    const [request] = (await api.get(`/api/v1/change-requests?flag=${FLAG}`)).body.items;
    expect(request).toMatchObject({ state: 'applied', reviewer: 'user:amy@example.com', reviewComment: 'go' });
  }, 60_000);
});
