import { Client } from 'pg';
import { ApiClient } from '../../support/api-client';
import type { KubeSimulator } from '../../support/kube-simulator/kube-simulator';
import { startTestServer, type TestServer } from '../../support/test-server';
import type { PrivateRegistry } from '../deploy/private-registry';
import {
  atGate,
  digest,
  ended,
  manifestsFor,
  pipelineFor,
  publishRelease,
  registerPolicy,
  rolloutOf,
  startCluster,
  startRegistry,
  WebhookReceiver,
} from '../rollout/rollout-fixture';

const PASSWORD = 'pa55-Zebra-7781-never-shown';
const TOKEN = 'tok-Quokka-4412-never-shown';
const b64 = (value: string) => Buffer.from(value).toString('base64');
const FORBIDDEN = [PASSWORD, TOKEN, b64(PASSWORD), b64(TOKEN)];

/** Seals Secret values at rest (AES-256-GCM); a fixed test key, never a production one. */
const SECRETS_KEY = Buffer.alloc(32, 7).toString('base64');

/**
 * A Secret in a release's manifests reaches the cluster and nothing else: approvers see its keys
 * and a hash of each value in the plan, never a value — not in API responses, log lines, webhooks or rows.
 */
(process.env.DATABASE_URL ? describe : describe.skip)('Secrets in the manifests', () => {
  let cluster: Awaited<ReturnType<typeof startCluster>>;
  let sim: KubeSimulator;
  let server: TestServer;
  let hooks: WebhookReceiver;
  let api: ApiClient;
  let ci: ApiClient;
  let approver: ApiClient;
  let viewer: ApiClient;
  let registry: PrivateRegistry;
  const responses: string[] = [];
  /** Every line the server logs, at debug (request and response logging included), to be searched afterwards. */
  const logLines: string[] = [];

  /** Every answer the test gets from the server is kept, to be searched afterwards. */
  const recording = (client: ApiClient): ApiClient => {
    const request = client.request.bind(client);
    client.request = async (...args: Parameters<ApiClient['request']>) => {
      const res = await request(...args);
      responses.push(`${args[0]} ${args[1]} → ${JSON.stringify(res.body)}`);
      return res;
    };
    return client;
  };
  const secretManifests = (version: number) => [
    ...manifestsFor('vault'),
    ...['staging', 'production'].map((environment) => ({
      environment,
      file: `deploy/${environment}/secret.yaml`,
      object: {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'vault-credentials' },
        type: 'Opaque',
        data: { token: b64(TOKEN), version: b64(String(version)) },
        stringData: { password: PASSWORD },
      },
    })),
  ];

  beforeAll(async () => {
    [cluster, registry, hooks] = await Promise.all([startCluster(), startRegistry(), WebhookReceiver.start()]);
    sim = cluster.sim;
    server = await startTestServer({
      redis: 'none',
      env: { KUBECONFIG: cluster.kubeconfig, WEBHOOK_URLS: hooks.url, ROLLOUT_POLL_INTERVAL: '200ms', ROLLOUT_LEASE: '5s', SECRETS_KEY, LOG_LEVEL: 'debug' },
      logDestination: { write: (line: string) => void logLines.push(line) },
    });
    api = recording(new ApiClient(server.url, server.adminToken));
    ci = recording(api.withToken(await api.token_('ci', ['deploy'])));
    approver = recording(api.withToken(await api.token_('release-manager', ['approve'])));
    viewer = recording(api.withToken(await api.token_('viewer', ['deploy:read'])));
    await registerPolicy(api, 'vault');
  });
  afterAll(async () => {
    await server?.close();
    await Promise.all([cluster?.dispose(), registry?.stop(), hooks?.stop()]);
  });

  it('is applied to the cluster, and shown everywhere else as keys and hashes only', async () => {
    for (const n of [1, 2]) {
      const id = await publishRelease(ci, 'vault', `main.${n}`, digest(n), pipelineFor('vault'), secretManifests(n));
      expect((await ci.post(`/api/v1/releases/${id}/rollout`, {})).status).toBe(201);
      const waiting = await rolloutOf(viewer, id, atGate('production'), `release ${n} at the gate`);
      const plan = await viewer.post(`/api/v1/releases/${id}/plan`, {});
      expect(plan.status).toBe(200);
      const secretPlan = [...waiting.gate.plan.objects, ...plan.body.environments.flatMap((e: any) => e.objects)].filter((o: any) => o.kind === 'Secret');
      expect(secretPlan.length).toBeGreaterThan(0);
      for (const object of secretPlan) {
        for (const change of object.changes.filter((c: any) => /^(data|stringData)\./.test(c.path))) {
          for (const side of [change.before, change.after]) if (side !== null) expect(side).toMatch(/^sha256:[0-9a-f]{16}$/);
        }
      }
      // The second release changes `version` only: the plan says so, by key.
      if (n === 2) {
        const production = plan.body.environments.find((e: any) => e.environment === 'production');
        const secret = production.objects.find((o: any) => o.kind === 'Secret');
        expect(secret.changes.map((c: any) => c.path)).toContain('data.version');
        expect(secret.changes.map((c: any) => c.path)).not.toContain('data.token');
      }
      expect((await approver.post(`/api/v1/releases/${id}/approve`, { comment: 'ship' })).status).toBe(200);
      expect((await rolloutOf(viewer, id, ended, `release ${n}`)).status).toBe('succeeded');
      await viewer.get(`/api/v1/releases/${id}`);
      await viewer.get(`/api/v1/releases/${id}/rollout`);
    }
    await viewer.get('/api/v1/changes');
    await api.get('/api/v1/audit-events');

    // The cluster has it: the values were applied, not dropped.
    const applied = sim.object('Secret', 'vault-prod', 'vault-credentials') as any;
    expect(Buffer.from(applied.data.token, 'base64').toString()).toBe(TOKEN);

    const leaks = (where: string, texts: string[]) =>
      texts
        .filter((text) => FORBIDDEN.some((value) => text.includes(value)))
        .map((t) => {
          const at = Math.max(...FORBIDDEN.map((value) => t.indexOf(value)));
          return `${where}: ${t.slice(0, 80)} … ${t.slice(Math.max(0, at - 400), at + 60)}`;
        });
    expect(responses.length).toBeGreaterThan(10);
    expect(leaks('API response', responses)).toEqual([]);
    expect(hooks.received.length).toBeGreaterThan(0);
    expect(
      leaks(
        'webhook',
        hooks.received.map((h) => JSON.stringify(h)),
      ),
    ).toEqual([]);
    // Debug lines from the request logger and the rollout worker included: a value never reaches a log.
    expect(logLines.length).toBeGreaterThan(50);
    expect(logLines.some((line) => JSON.parse(line).level === 20)).toBe(true);
    expect(logLines.some((line) => line.includes('/api/v1/releases/'))).toBe(true);
    expect(leaks('log line', logLines)).toEqual([]);

    // Every row of every table of this server's schema: the frozen manifests and plans hold the values sealed.
    const db = new Client({ connectionString: server.database.url });
    await db.connect();
    try {
      const { rows: tables } = await db.query<{ table_name: string }>(
        `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 AND table_type = 'BASE TABLE'`,
        [server.database.schema],
      );
      expect(tables.length).toBeGreaterThan(5);
      const rows: string[] = [];
      for (const { table_name } of tables) {
        const result = await db.query<{ row: string }>(`SELECT to_jsonb(t)::text AS row FROM "${server.database.schema}"."${table_name}" t`);
        rows.push(...result.rows.map((r) => `${table_name} ${r.row}`));
      }
      expect(leaks('row', rows)).toEqual([]);
      expect(rows.some((row) => row.startsWith('releases ') && row.includes('sealed:v1:'))).toBe(true);
    } finally {
      await db.end();
    }
  });

  it('refuses a Secret with values when the server has no SECRETS_KEY, naming the setting and the manifest', async () => {
    const keyless = await startTestServer({ redis: 'none', env: { KUBECONFIG: cluster.kubeconfig } });
    try {
      const admin = new ApiClient(keyless.url, keyless.adminToken);
      await registerPolicy(admin, 'vault');
      const refused = await admin.post('/api/v1/services/vault/releases', { version: 'main.9', pipeline: pipelineFor('vault'), manifests: secretManifests(9) });
      expect(refused.status).toBe(400);
      const details = refused.body.error.details.filter((d: any) => /Secret vault-credentials/.test(d.problem));
      expect(details.length).toBeGreaterThan(0);
      expect(details[0].path).toMatch(/^manifests\[\d+\]\.object$/);
      expect(details[0].problem).toContain('SECRETS_KEY');
      expect(JSON.stringify(refused.body)).not.toContain(PASSWORD);
      expect((await admin.get('/api/v1/services/vault/releases')).body.items).toEqual([]);
    } finally {
      await keyless.close();
    }
  });
});
