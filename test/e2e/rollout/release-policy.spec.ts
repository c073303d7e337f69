import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../../apps/cli/src/switchyard-cli';
import { ApiClient } from '../../support/api-client';
import { startTestServer, type TestServer } from '../../support/test-server';
import { scratchImage, type PrivateRegistry } from '../deploy/private-registry';
import {
  atGate,
  digest,
  ended,
  manifestsFor,
  pipelineFor,
  publishRelease,
  registerPolicy,
  repositoryOf,
  rolloutOf,
  startCluster,
  startRegistry,
} from './rollout-fixture';

/** A browser: the session cookie, and the CSRF token on unsafe requests. */
class Browser {
  private cookie?: string;
  private csrf?: string;
  constructor(private readonly baseUrl: string) {}

  async request(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
    const res = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: {
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(this.cookie ? { cookie: this.cookie } : {}),
        ...(this.csrf && method !== 'GET' ? { 'x-csrf-token': this.csrf } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const setCookie = res.headers.get('set-cookie');
    if (setCookie) this.cookie = setCookie.split(';')[0];
    const text = await res.text();
    const parsed = text ? JSON.parse(text) : undefined;
    if (parsed?.csrfToken) this.csrf = parsed.csrfToken;
    return { status: res.status, body: parsed };
  }
}

/**
 * The release policy is the server's: set by admins (API), versioned and audited; a pipeline may ask
 * for more, never less; a first release waits for an admin; four-eyes by default; images must come
 * from an allowed repository and resolve in a real registry.
 */
describe('release policy owned by the server', () => {
  let cluster: Awaited<ReturnType<typeof startCluster>>;
  let registry: PrivateRegistry;
  let server: TestServer;
  let admin: ApiClient;
  let ci: ApiClient;
  let approver: ApiClient;
  /** One token holding both deploy and approve: what four-eyes is there to stop. */
  let shipit: ApiClient;

  const policyPath = (service: string) => `/api/v1/services/${service}/policy`;
  const release = (client: ApiClient, service: string, n: number) =>
    publishRelease(client, service, `main.${n}`, digest(n), pipelineFor(service), manifestsFor(service));
  const startAndWaitAtGate = async (client: ApiClient, id: string) => {
    const started = await client.post(`/api/v1/releases/${id}/rollout`, {});
    expect(started.status).toBe(201);
    await rolloutOf(admin, id, atGate('production'), 'the production gate');
  };
  const releasesOf = async (service: string) => (await admin.get(`/api/v1/services/${service}/releases`)).body.items as any[];
  const auditOf = async (target: string) => (await admin.get(`/api/v1/audit?target=${encodeURIComponent(target)}&limit=50`)).body.items as any[];

  beforeAll(async () => {
    [cluster, registry] = await Promise.all([startCluster(), startRegistry()]);
    server = await startTestServer({ redis: 'none', env: { KUBECONFIG: cluster.kubeconfig, ROLLOUT_POLL_INTERVAL: '200ms', ROLLOUT_LEASE: '5s' } });
    admin = new ApiClient(server.url, server.adminToken);
    ci = admin.withToken(await admin.token_('ci-jenkins', ['deploy']));
    approver = admin.withToken(await admin.token_('release-manager', ['approve']));
    shipit = admin.withToken(await admin.token_('shipit', ['deploy', 'approve']));
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    await Promise.all([cluster?.dispose(), registry?.stop()]);
  });

  it('is set by admins only, with ETag/If-Match versions, and every change audited with before and after', async () => {
    const service = 'billing';
    const policy = { environments: { production: { namespace: 'billing-prod', approval: 'required' } }, repositories: [repositoryOf(service)] };
    expect((await ci.get(policyPath(service))).status).toBe(404);
    for (const client of [ci, approver, shipit]) {
      const refused = await client.request('PUT', policyPath(service), policy);
      expect(refused.status).toBe(403);
      expect(refused.body.error.code).toBe('FORBIDDEN');
    }
    expect((await ci.get(policyPath(service))).status).toBe(404);

    const created = await admin.request('PUT', policyPath(service), policy);
    expect(created.status).toBe(200);
    expect(created.headers.get('etag')).toBe('"1"');
    expect(created.body).toMatchObject({
      service,
      version: 1,
      updatedBy: 'token:bootstrap-admin',
      policy: { environments: { production: { namespace: 'billing-prod', approval: 'required', fourEyes: true } }, repositories: [repositoryOf(service)] },
    });
    // CI may read what it is held to.
    expect((await ci.get(policyPath(service))).body.version).toBe(1);

    const invalid = await admin.request('PUT', policyPath(service), { environments: { production: { namespace: 'Kube System' } }, repositories: [] });
    expect(invalid.status).toBe(400);
    expect(invalid.body.error.details.map((d: any) => d.path)).toEqual(['environments.production.namespace', 'repositories']);

    const stricter = { ...policy, environments: { ...policy.environments, staging: { namespace: 'billing-staging', approval: 'required' } } };
    const stale = await admin.request('PUT', policyPath(service), stricter, { 'if-match': '"7"' });
    expect(stale.status).toBe(409);
    expect(stale.body.error).toMatchObject({ code: 'CONFLICT', currentVersion: 1 });
    const updated = await admin.request('PUT', policyPath(service), stricter, { 'if-match': '"1"' });
    expect(updated.status).toBe(200);
    expect(updated.body.version).toBe(2);
    // The same policy again (keys in another order) is no change: no new version, no audit event.
    const { repositories, environments } = stricter;
    expect((await admin.request('PUT', policyPath(service), { repositories, environments })).body.version).toBe(2);

    const events = await auditOf(`service:${service}`);
    expect(events.map((e) => `${e.action} v${e.meta.version} by ${e.actor}`)).toEqual([
      'release-policy.updated v2 by token:bootstrap-admin',
      'release-policy.updated v1 by token:bootstrap-admin',
    ]);
    expect(events[0].before).toEqual(created.body.policy);
    expect(events[0].after).toEqual(updated.body.policy);
    expect(events[1].before).toBeNull();
  });

  it('refuses a release whose pipeline drops approval, moves a namespace or changes repository, naming each difference and writing nothing', async () => {
    const service = 'payroll';
    await registerPolicy(admin, service);
    const pipeline: any = pipelineFor(service);
    pipeline.deploy.environments[0].namespace = 'kube-system';
    pipeline.deploy.environments[1].approval = 'none';
    pipeline.publish.repository = 'evil.example.com/payroll';
    const refused = await ci.post(`/api/v1/services/${service}/releases`, { version: 'main.1', pipeline, manifests: manifestsFor(service) });
    expect(refused.status).toBe(403);
    expect(refused.body.error).toMatchObject({
      code: 'POLICY_VIOLATION',
      message: `the release asks for less than the release policy of ${service} (version 1); nothing was changed`,
      policyVersion: 1,
      details: [
        { path: 'pipeline.publish.repository', problem: `"evil.example.com/payroll" is not an allowed repository (${repositoryOf(service)})` },
        { path: 'pipeline.deploy.environments[0].namespace', problem: `is "kube-system" but the policy deploys staging to "${service}-staging"` },
        { path: 'pipeline.deploy.environments[1].approval', problem: 'is "none" but the policy requires approval in production' },
      ],
    });
    expect(await releasesOf(service)).toEqual([]);
    expect((await admin.get(`/api/v1/audit?action=release.created&limit=50`)).body.items.filter((e: any) => e.meta.service === service)).toEqual([]);

    // Asking for more is fine: a gate in staging too.
    const more: any = pipelineFor(service);
    more.deploy.environments[0].approval = 'required';
    expect((await ci.post(`/api/v1/services/${service}/releases`, { version: 'main.2', pipeline: more, manifests: manifestsFor(service) })).status).toBe(201);
  });

  it('holds the first release of an unknown service until an admin accepts the policy it proposes', async () => {
    const service = 'newcomer';
    const id = await release(ci, service, 1);
    const held = await ci.post(`/api/v1/releases/${id}/rollout`, {});
    expect(held.status).toBe(409);
    expect(held.body.error.code).toBe('POLICY_REQUIRED');
    expect(held.body.error.message).toContain(`${service} has no release policy yet; an admin must register one`);
    expect(held.body.error.message).toContain(`switchyard policy accept ${service} --release ${id}`);
    expect(held.body.error.proposedPolicy).toEqual({
      environments: {
        staging: { namespace: `${service}-staging`, approval: 'none', fourEyes: true },
        production: { namespace: `${service}-prod`, approval: 'required', fourEyes: true },
      },
      repositories: [repositoryOf(service)],
    });
    expect((await admin.get(`/api/v1/releases/${id}/rollout`)).status).toBe(404);

    for (const client of [ci, approver]) expect((await client.post(`${policyPath(service)}/accept`, { releaseId: id })).status).toBe(403);
    expect((await admin.post(`${policyPath(service)}/accept`, { releaseId: 'not-a-uuid' })).status).toBe(400);
    const accepted = await admin.post(`${policyPath(service)}/accept`, { releaseId: id });
    expect(accepted.status).toBe(201);
    expect(accepted.body).toMatchObject({ version: 1, policy: held.body.error.proposedPolicy });
    expect((await admin.post(`${policyPath(service)}/accept`, { releaseId: id })).status).toBe(409);
    const [event] = await auditOf(`service:${service}`);
    expect(event).toMatchObject({
      action: 'release-policy.accepted',
      before: null,
      after: held.body.error.proposedPolicy,
      meta: { releaseId: id, version: 1 },
    });

    expect((await ci.post(`/api/v1/releases/${id}/rollout`, {})).status).toBe(201);
  });

  it('refuses an image outside the allowed repositories, and a digest its registry does not have', async () => {
    const service = 'imagery';
    await registerPolicy(admin, service);
    const publishAs = async (version: string, imageReference: string, imageDigest: string) => {
      const created = await ci.post(`/api/v1/services/${service}/releases`, { version, pipeline: pipelineFor(service), manifests: manifestsFor(service) });
      const id = created.body.id as string;
      for (const stage of ['build', 'test', 'publish']) {
        await ci.patch(`/api/v1/releases/${id}/stages/${stage}`, { status: 'running' });
        await ci.patch(`/api/v1/releases/${id}/stages/${stage}`, {
          status: 'succeeded',
          ...(stage === 'publish' ? { artifacts: { imageReference, imageDigest } } : {}),
        });
      }
      return id;
    };
    // Pushed, but to another repository of the same registry.
    const elsewhere = `${registry.host}/other/${service}`;
    const image = scratchImage('elsewhere');
    await registry.push(`other/${service}`, 'main.1', image);
    const outside = await publishAs('main.1', `${elsewhere}:main.1`, image.digest);
    const refused = await ci.post(`/api/v1/releases/${outside}/rollout`, {});
    expect(refused.status).toBe(422);
    expect(refused.body.error).toMatchObject({
      code: 'IMAGE_REFUSED',
      details: [{ path: 'imageReference', problem: `${elsewhere} is not an allowed repository (${repositoryOf(service)})` }],
    });

    // The right repository, but a digest nobody pushed.
    const missing = scratchImage('never pushed').digest;
    const unresolved = await publishAs('main.2', `${repositoryOf(service)}:main.2`, missing);
    const notThere = await ci.post(`/api/v1/releases/${unresolved}/rollout`, {});
    expect(notThere.status).toBe(422);
    expect(notThere.body.error.details).toEqual([
      { path: 'imageDigest', problem: expect.stringContaining(`${repositoryOf(service)}@${missing} does not exist in its registry`) },
    ]);
    for (const id of [outside, unresolved]) expect((await admin.get(`/api/v1/releases/${id}/rollout`)).status).toBe(404);
  });

  it('four-eyes: the token that started a release, its creator and another token of the same person cannot approve; another person can', async () => {
    const service = 'ledger';
    await registerPolicy(admin, service);
    // Ada (an admin person) creates a deploy token for her CI and an approve token for herself.
    const ada = new Browser(server.url);
    const setup = await ada.request('POST', '/api/v1/setup', {
      adminToken: server.adminToken,
      email: 'ada@example.com',
      name: 'Ada',
      password: 'correct horse battery',
    });
    expect(setup.status).toBe(201);
    const adaCi = admin.withToken((await ada.request('POST', '/api/v1/tokens', { name: 'ada-ci', scopes: ['deploy'] })).body.secret);
    const adaApprover = admin.withToken((await ada.request('POST', '/api/v1/tokens', { name: 'ada-approver', scopes: ['approve'] })).body.secret);
    expect((await admin.post('/api/v1/users', { email: 'bob@example.com', name: 'Bob', role: 'approver', password: 'another long password' })).status).toBe(
      201,
    );
    const bob = new Browser(server.url);
    expect((await bob.request('POST', '/api/v1/session', { email: 'bob@example.com', password: 'another long password' })).status).toBe(200);

    const id = await release(adaCi, service, 1);
    await startAndWaitAtGate(adaCi, id);
    const byAda = await ada.request('POST', `/api/v1/releases/${id}/approve`, { comment: 'lgtm' });
    expect(byAda.status).toBe(403);
    expect(byAda.body.error).toMatchObject({
      code: 'FOUR_EYES',
      message: expect.stringContaining('user:ada@example.com cannot approve this release in production because user:ada@example.com created token:ada-ci'),
    });
    const byAdasToken = await adaApprover.post(`/api/v1/releases/${id}/approve`, { comment: 'lgtm' });
    expect(byAdasToken.status).toBe(403);
    expect(byAdasToken.body.error.message).toContain('token:ada-approver and token:ada-ci, which started it, both act for user:ada@example.com');
    // A refused approval changes nothing: still waiting at the gate, no decision recorded.
    const waiting = (await admin.get(`/api/v1/releases/${id}/rollout`)).body;
    expect(waiting).toMatchObject({ status: 'waiting', decisions: [] });

    const byBob = await bob.request('POST', `/api/v1/releases/${id}/approve`, { comment: 'reviewed the plan' });
    expect(byBob.status).toBe(200);
    expect(byBob.body.decisions).toEqual([expect.objectContaining({ action: 'approve', actor: 'user:bob@example.com' })]);
    expect((await rolloutOf(admin, id, ended, 'production')).status).toBe('succeeded');

    // One token holding deploy and approve cannot approve its own release.
    const own = await release(shipit, 'solo', 1);
    await registerPolicy(admin, 'solo');
    await startAndWaitAtGate(shipit, own);
    const self = await shipit.post(`/api/v1/releases/${own}/approve`, { comment: 'me' });
    expect(self.status).toBe(403);
    expect(self.body.error.message).toContain('token:shipit cannot approve this release in production because token:shipit started it');
    // Nor can the admin token that created it.
    expect((await admin.post(`/api/v1/releases/${own}/approve`, { comment: 'me' })).body.error.message).toContain(
      'token:bootstrap-admin created token:shipit, which started it',
    );
    expect((await approver.post(`/api/v1/releases/${own}/approve`, { comment: 'second pair of eyes' })).status).toBe(200);
  });

  it('lets an environment opt out of four-eyes explicitly', async () => {
    const service = 'hotfix';
    const policy = await registerPolicy(admin, service, { fourEyes: false });
    expect(policy.policy.environments.production).toEqual({ namespace: `${service}-prod`, approval: 'required', fourEyes: false });
    const id = await release(shipit, service, 1);
    await startAndWaitAtGate(shipit, id);
    expect((await shipit.post(`/api/v1/releases/${id}/approve`, { comment: 'on call, alone' })).status).toBe(200);
    expect((await rolloutOf(admin, id, ended, 'production')).status).toBe('succeeded');
  });

  it('is read, set and accepted with `switchyard policy`; only an admin token may set or accept', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-policy-'));
    const cli = async (args: string[], token: string) => {
      let stdout = '';
      let stderr = '';
      const code = await runCli(args, {
        env: { SWITCHYARD_URL: server.url, SWITCHYARD_TOKEN: token },
        cwd: dir,
        stdout: { write: (text: string) => (stdout += text) },
        stderr: { write: (text: string) => (stderr += text) },
      });
      return { code, stdout, stderr };
    };
    try {
      const service = 'catalog';
      const file = 'policy.yml';
      writeFileSync(
        join(dir, file),
        `environments:\n  production:\n    namespace: catalog-prod\n    approval: required\n    fourEyes: true\nrepositories:\n  - ${repositoryOf(service)}\n`,
      );
      const ciSecret = ci.token as string;
      const refused = await cli(['policy', 'set', service, '--file', file], ciSecret);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain(`could not set the release policy of ${service}: ${server.url} answered 403 FORBIDDEN`);
      expect(refused.stderr).toContain('setting a release policy needs "admin"');

      const set = await cli(['policy', 'set', service, '--file', file], server.adminToken);
      expect(set).toMatchObject({ code: 0, stderr: '' });
      expect(set.stdout).toMatch(/^# release policy of catalog: version 1, by token:bootstrap-admin at /);
      const got = await cli(['policy', 'get', service], ciSecret);
      expect(got.code).toBe(0);
      expect(got.stdout.split('\n').slice(1).join('\n')).toBe(
        `environments:\n  production:\n    namespace: catalog-prod\n    approval: required\n    fourEyes: true\nrepositories:\n  - ${repositoryOf(service)}\n`,
      );
      const stale = await cli(['policy', 'set', service, '--file', file, '--if-match', '3'], server.adminToken);
      expect(stale.code).toBe(1);
      expect(stale.stderr).toContain('409 CONFLICT: the release policy of catalog is at version 1, not 3');
      expect((await cli(['policy', 'set', service], server.adminToken)).code).toBe(2);

      // A first release: the CLI says what is missing, an admin accepts from the command line.
      const id = await release(ci, 'atlas', 1);
      const rollout = await cli(['rollout', id, '--start'], ciSecret);
      expect(rollout.code).toBe(1);
      expect(rollout.stderr).toContain('409 POLICY_REQUIRED: atlas has no release policy yet');
      const accepted = await cli(['policy', 'accept', 'atlas', '--release', id], server.adminToken);
      expect(accepted.code).toBe(0);
      expect(accepted.stdout).toContain('namespace: atlas-prod');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a rollout when the policy became stricter after the release was created', async () => {
    const service = 'tightened';
    await registerPolicy(admin, service);
    const id = await release(ci, service, 1);
    const current = (await admin.get(policyPath(service))).body;
    const stricter = { ...current.policy, environments: { ...current.policy.environments, staging: { namespace: 'elsewhere' } } };
    expect((await admin.request('PUT', policyPath(service), stricter, { 'if-match': '"1"' })).status).toBe(200);
    const refused = await ci.post(`/api/v1/releases/${id}/rollout`, {});
    expect(refused.status).toBe(403);
    expect(refused.body.error.details).toEqual([
      { path: 'pipeline.deploy.environments[0].namespace', problem: `is "${service}-staging" but the policy deploys staging to "elsewhere"` },
    ]);
    expect((await admin.get(`/api/v1/releases/${id}/rollout`)).status).toBe(404);
  });
});
