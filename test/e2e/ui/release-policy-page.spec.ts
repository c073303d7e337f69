import type { Browser, Page } from 'playwright-core';
import { ApiClient } from '../../support/api-client';
import { requireTool } from '../../support/system-tool';
import { startTestServer, type TestServer } from '../../support/test-server';
import type { PrivateRegistry } from '../deploy/private-registry';
import { digest, manifestsFor, pipelineFor, publishRelease, rolloutOf, startCluster, startRegistry } from '../rollout/rollout-fixture';
import { collectProblems, launchChromium, screenshot } from './browser';
import { ensureUiBuilt } from './ensure-ui-built';

const ADMIN = { name: 'Grace Admin', email: 'grace@example.com', password: 'a long admin password' };
const VIEWER = { name: 'Vic Viewer', email: 'vic@example.com', password: 'viewer password 123' };

/**
 * The release policy page in Chromium: an admin registers a policy in the form (validation next to
 * the fields), a viewer reads it, a stale edit meets the conflict prompt, and the first release of
 * an unknown service is refused until an admin accepts its proposed policy from the release page.
 */
(requireTool('chromium', 'chromium') ? describe : describe.skip)('release policy page in Chromium', () => {
  let cluster: Awaited<ReturnType<typeof startCluster>>;
  let registry: PrivateRegistry;
  let server: TestServer;
  let api: ApiClient;
  let browser: Browser;
  let page: Page;
  let problems: string[];
  let ledgerRelease: string;

  beforeAll(async () => {
    await ensureUiBuilt();
    [cluster, registry] = await Promise.all([startCluster(), startRegistry()]);
    server = await startTestServer({ redis: 'none', env: { KUBECONFIG: cluster.kubeconfig, ROLLOUT_POLL_INTERVAL: '200ms', ROLLOUT_LEASE: '5s' } });
    api = new ApiClient(server.url, server.adminToken);
    expect((await api.post('/api/v1/setup', { adminToken: server.adminToken, ...ADMIN })).status).toBe(201);
    expect((await api.post('/api/v1/users', { ...VIEWER, role: 'viewer' })).status).toBe(201);
    // ledger has no policy: its first release is recorded and published, but its rollout needs an admin's acceptance.
    const ci = api.withToken(await api.token_('ci-jenkins', ['deploy']));
    ledgerRelease = await publishRelease(ci, 'ledger', 'main.1', digest(1), pipelineFor('ledger'), manifestsFor('ledger'));

    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: { width: 1360, height: 900 } })).newPage();
    page.setDefaultTimeout(15_000);
    problems = collectProblems(page);
    await page.goto(`${server.url}/releases/policy?service=pricing`);
    await page.getByLabel('Email').fill(ADMIN.email);
    await page.getByLabel('Password').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Release policy of pricing' }).waitFor();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await Promise.all([cluster?.dispose(), registry?.stop()]);
  });

  afterEach(() => {
    expect(problems.filter((p) => p.startsWith('pageerror'))).toEqual([]);
  });

  const environment = (p: Page, n: number) => p.getByRole('group', { name: `Environment ${n}` });
  const policyRows = async (p: Page) =>
    Promise.all(
      (await p.getByRole('table', { name: 'Environments', exact: true }).locator('tbody tr').all()).map((row) => row.locator('td').allTextContents()),
    );

  it('lets an admin register a policy, with the server’s problems next to the fields', async () => {
    await page.getByText('pricing has no release policy yet').waitFor();
    await page.getByRole('button', { name: 'Register a policy' }).click();
    await environment(page, 1).getByLabel('Name', { exact: true }).fill('staging');
    await environment(page, 1).getByLabel('Namespace').fill('pricing-staging');
    await page.getByRole('button', { name: 'Add environment' }).click();
    await environment(page, 2).getByLabel('Name', { exact: true }).fill('production');
    await environment(page, 2).getByLabel('Namespace').fill('Pricing_Prod');
    await environment(page, 2).getByLabel('Approval').selectOption('required');
    await page.getByRole('button', { name: 'Add environment' }).click();
    await environment(page, 3).getByLabel('Name', { exact: true }).fill('qa');
    await page.getByRole('button', { name: 'Remove environment qa' }).click();
    expect(await environment(page, 3).count()).toBe(0);
    await page.getByLabel('Repository 1').fill('registry.example.com/team/pricing');
    await page.getByRole('button', { name: 'Add repository' }).click();
    await page.getByLabel('Repository 2').fill('Not A Repository');

    await page.getByRole('button', { name: 'Save policy' }).click();
    expect(await environment(page, 2).getByRole('alert').textContent()).toBe('must be a namespace name (a DNS label)');
    await page.getByText('must be an image repository without tag or digest, e.g. registry.example.com/team/app').waitFor();
    expect(await page.getByLabel('Repository 2').getAttribute('aria-describedby')).toBe('policy-repository-1-error');
    expect((await api.get('/api/v1/services/pricing/policy')).status).toBe(404);

    await environment(page, 2).getByLabel('Namespace').fill('pricing-prod');
    await page.getByRole('button', { name: 'Remove repository 2' }).click();
    await page.getByRole('button', { name: 'Save policy' }).click();
    await page.getByRole('button', { name: 'Edit policy' }).waitFor();
    expect(await page.getByTestId('policy-version').textContent()).toBe('1');
    expect(await policyRows(page)).toEqual([
      ['staging', 'pricing-staging', 'none', 'on'],
      ['production', 'pricing-prod', 'required', 'on'],
    ]);
    expect(await page.getByRole('list', { name: 'Allowed repositories' }).getByRole('listitem').allTextContents()).toEqual([
      'registry.example.com/team/pricing',
    ]);
    expect((await api.get('/api/v1/services/pricing/policy')).body.policy).toEqual({
      environments: {
        staging: { namespace: 'pricing-staging', approval: 'none', fourEyes: true },
        production: { namespace: 'pricing-prod', approval: 'required', fourEyes: true },
      },
      repositories: ['registry.example.com/team/pricing'],
    });
    expect(await page.getByRole('link', { name: 'Audit history' }).getAttribute('href')).toBe('/audit?target=service%3Apricing');
    await screenshot(page, 'release-policy', 1000);
  }, 60_000);

  it('shows the policy read-only to a viewer', async () => {
    const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
    const viewer = await context.newPage();
    viewer.setDefaultTimeout(15_000);
    const viewerProblems = collectProblems(viewer);
    await viewer.goto(`${server.url}/releases/policy?service=pricing`);
    await viewer.getByLabel('Email').fill(VIEWER.email);
    await viewer.getByLabel('Password').fill(VIEWER.password);
    await viewer.getByRole('button', { name: 'Sign in' }).click();
    await viewer.getByRole('heading', { name: 'Release policy of pricing' }).waitFor();
    await viewer.getByTestId('policy-version').waitFor();
    expect(await policyRows(viewer)).toEqual([
      ['staging', 'pricing-staging', 'none', 'on'],
      ['production', 'pricing-prod', 'required', 'on'],
    ]);
    expect(await viewer.getByRole('button', { name: /Edit policy|Register a policy/ }).count()).toBe(0);
    expect(await viewer.getByRole('form', { name: 'Edit release policy' }).count()).toBe(0);
    expect(viewerProblems.filter((p) => p.startsWith('pageerror'))).toEqual([]);
    await context.close();
  }, 60_000);

  it('refuses a stale edit with a reload prompt, and reload shows the newer policy', async () => {
    await page.getByRole('button', { name: 'Edit policy' }).click();
    await environment(page, 2).getByLabel('Four-eyes (the starter may not approve)').uncheck();
    // Meanwhile another admin changes the policy over the API.
    const other = await api.request(
      'PUT',
      '/api/v1/services/pricing/policy',
      {
        environments: { staging: { namespace: 'pricing-staging' }, production: { namespace: 'pricing-live', approval: 'required' } },
        repositories: ['registry.example.com/team/pricing'],
      },
      { 'if-match': '"1"' },
    );
    expect([other.status, other.body.version]).toEqual([200, 2]);

    await page.getByRole('button', { name: 'Save policy' }).click();
    const conflict = page.getByRole('alert').filter({ hasText: 'Someone else changed this policy' });
    await conflict.getByText('it is now at version 2').waitFor();
    expect((await api.get('/api/v1/services/pricing/policy')).body).toMatchObject({ version: 2, policy: { environments: { production: { fourEyes: true } } } });
    await screenshot(page, 'release-policy-conflict', 1000);

    await conflict.getByRole('button', { name: 'Reload (discard my edits)' }).click();
    await conflict.waitFor({ state: 'detached' });
    expect(await environment(page, 2).getByLabel('Namespace').inputValue()).toBe('pricing-live');
    expect(await environment(page, 2).getByLabel('Four-eyes (the starter may not approve)').isChecked()).toBe(true);
    await page.getByRole('button', { name: 'Cancel' }).click();
    expect(await page.getByTestId('policy-version').textContent()).toBe('2');
  }, 60_000);

  it('accepts the policy a first release proposes from its release page, then starts the rollout', async () => {
    await page.goto(`${server.url}/releases/${ledgerRelease}`);
    await page.getByRole('heading', { name: /ledger main\.1/ }).waitFor();
    await page.getByText('This release has not been rolled out.').waitFor();
    await page.getByRole('button', { name: 'Start rollout' }).click();

    const proposal = page.getByRole('region', { name: 'Proposed release policy' });
    await proposal.getByRole('heading', { name: 'ledger has no release policy yet' }).waitFor();
    expect(await policyRows(page)).toEqual([
      ['staging', 'ledger-staging', 'none', 'on'],
      ['production', 'ledger-prod', 'required', 'on'],
    ]);
    expect(await proposal.getByRole('listitem').allTextContents()).toEqual([`${registry.host}/team/ledger`]);
    expect((await api.get(`/api/v1/releases/${ledgerRelease}/rollout`)).status).toBe(404);
    // Until a policy exists, starting again would only be refused again.
    expect(await page.getByRole('button', { name: 'Start rollout' }).count()).toBe(0);
    await screenshot(page, 'release-policy-proposal', 1200);

    await proposal.getByRole('button', { name: 'Accept policy' }).click();
    await page.getByRole('status').filter({ hasText: 'Policy accepted (version 1).' }).waitFor();
    expect(await proposal.count()).toBe(0);
    expect((await api.get('/api/v1/services/ledger/policy')).body).toMatchObject({ version: 1, updatedBy: expect.stringContaining(ADMIN.email) });

    await page.getByRole('button', { name: 'Start rollout' }).click();
    await page.locator('table.steps-table').waitFor();
    const rollout = await rolloutOf(api, ledgerRelease, () => true, 'ledger rollout');
    expect(rollout).toMatchObject({ service: 'ledger', createdBy: expect.stringContaining(ADMIN.email) });
    expect(await page.getByRole('button', { name: 'Start rollout' }).count()).toBe(0);
  }, 60_000);
});
