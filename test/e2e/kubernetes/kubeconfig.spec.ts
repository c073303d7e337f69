import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { ApiClient } from '../../support/api-client';
import { freePort } from '../../support/free-port';
import { KubeSimulator } from '../../support/kube-simulator/kube-simulator';
import { startTestServer, type TestServer } from '../../support/test-server';

/**
 * A kubeconfig the server cannot use: the rest of the server stays up and ready, /readyz says what
 * is wrong with the cluster, and starting a rollout answers 503 with the same reason before
 * anything is written anywhere.
 */
describe('a kubeconfig that cannot be used', () => {
  let dir: string;
  let sim: KubeSimulator;
  let server: TestServer | undefined;

  const kubeconfig = (name: string, server: string, user: Record<string, unknown>, context = 'ci') => {
    const file = join(dir, name);
    writeFileSync(
      file,
      stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'target', cluster: { server, 'insecure-skip-tls-verify': true } }],
        users: [{ name: 'deployer', user }],
        contexts: [{ name: context, context: { cluster: 'target', user: 'deployer' } }],
        'current-context': context,
      }),
    );
    return file;
  };
  /** Boots the server with `env`, then returns what /readyz and a rollout start answer. */
  const answers = async (env: Record<string, string>) => {
    server = await startTestServer({ redis: 'none', env });
    const api = new ApiClient(server.url, server.adminToken);
    const ready = await api.get('/readyz');
    const rollout = await api.post(`/api/v1/releases/${randomUUID()}/rollout`, {});
    return { ready, rollout, api };
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'switchyard-kubeconfig-'));
    sim = await KubeSimulator.start();
  });
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });
  afterAll(async () => {
    await sim?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const cases: Array<[string, () => Record<string, string>, RegExp, string]> = [
    [
      'is missing',
      () => ({ KUBECONFIG: join(dir, 'nowhere', 'config') }),
      /KUBECONFIG names .*nowhere\/config, but no such file exists/,
      'KUBERNETES_NOT_CONFIGURED',
    ],
    [
      'cannot be read',
      () => {
        mkdirSync(join(dir, 'a-directory'), { recursive: true });
        return { KUBECONFIG: join(dir, 'a-directory') };
      },
      /a-directory cannot be read \(Error: EISDIR/,
      'KUBERNETES_NOT_CONFIGURED',
    ],
    [
      'names a context it does not define',
      () => ({ KUBECONFIG: kubeconfig('contexts', sim.url, { token: sim.token }), KUBE_CONTEXT: 'prod-eu' }),
      /context "prod-eu" is not defined/,
      'KUBERNETES_NOT_CONFIGURED',
    ],
    [
      'has an exec credential plugin that fails',
      () => ({
        KUBECONFIG: kubeconfig('exec', sim.url, {
          exec: {
            apiVersion: 'client.authentication.k8s.io/v1beta1',
            command: 'sh',
            args: ['-c', 'echo "error: the SSO session has expired, run aws sso login" >&2; exit 1'],
            interactiveMode: 'Never',
          },
        }),
      }),
      /cannot get credentials for the Kubernetes API: error: the SSO session has expired, run aws sso login/,
      'KUBERNETES_UNAVAILABLE',
    ],
  ];

  it.each(cases)('that %s: /readyz says why, and rollouts answer 503 with it', async (_what, env, reason, code) => {
    const before = sim.requests.length;
    const { ready, rollout } = await answers(env());
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({ status: 'ready', checks: { database: 'up' }, kubernetes: { state: 'down' } });
    expect(ready.body.kubernetes.reason).toMatch(reason);
    expect(rollout.status).toBe(503);
    expect(rollout.body.error.code).toBe(code);
    expect(rollout.body.error.message).toMatch(reason);
    // Nothing reached the cluster: not even a read.
    expect(sim.requests.length).toBe(before);
  });

  it('with an API server that does not answer: says so, and recovers by itself once it does', async () => {
    const port = await freePort();
    const token = 'recovering-cluster-token';
    const { ready, rollout, api } = await answers({ KUBECONFIG: kubeconfig('unreachable', `http://127.0.0.1:${port}`, { token }) });
    expect(ready.body.kubernetes).toMatchObject({ state: 'down' });
    expect(ready.body.kubernetes.reason).toMatch(new RegExp(`the Kubernetes API at http://127.0.0.1:${port} .* cannot be used: .*ECONNREFUSED`));
    expect(rollout.status).toBe(503);
    expect(rollout.body.error).toMatchObject({ code: 'KUBERNETES_UNAVAILABLE' });
    expect(rollout.body.error.message).toMatch(/ECONNREFUSED/);

    const late = await KubeSimulator.start({ port, token });
    try {
      const again = await api.get('/readyz');
      expect(again.body.kubernetes).toMatchObject({ state: 'up' });
      // Now the rollout gets past the cluster check (and fails on the release that does not exist).
      expect((await api.post(`/api/v1/releases/${randomUUID()}/rollout`, {})).status).toBe(404);
    } finally {
      await late.close();
    }
  });
});
