import { runCli } from '../../../apps/cli/src/switchyard-cli';
import { ApiClient } from '../../support/api-client';
import { startTestServer, type TestServer } from '../../support/test-server';
import { digest, manifestsFor, pipelineFor, publishRelease } from './rollout-fixture';

/** What the rollout API says before any cluster work: validation of uploaded manifests, a server with no cluster, 404s. */
describe('rollout requests on a server without a cluster', () => {
  let server: TestServer;
  let admin: ApiClient;
  let ci: ApiClient;
  let ciToken: string;

  beforeAll(async () => {
    server = await startTestServer({ redis: 'none' });
    admin = new ApiClient(server.url, server.adminToken);
    ciToken = await admin.token_('ci', ['deploy']);
    ci = admin.withToken(ciToken);
  });
  afterAll(() => server?.close());

  it('validates the manifests uploaded with a release, naming the file and field', async () => {
    const manifests = manifestsFor('search');
    manifests[0].object.metadata.namespace = 'somewhere-else';
    manifests[3].object.spec.selector = { app: 'search', track: 'stable' };
    const res = await ci.post('/api/v1/services/search/releases', { version: 'main.1', pipeline: pipelineFor('search', { canary: {} }), manifests });
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual([
      {
        path: 'manifests[0].object.metadata.namespace',
        problem: 'deploy/staging/deployment.yaml: Deployment search is in namespace somewhere-else, but environment staging deploys to search-staging',
      },
      {
        path: 'manifests[3].object.spec.selector',
        problem: 'deploy/production/service.yaml: Service search selects track=stable, so the canary (track=canary) would get no traffic; select both tracks',
      },
    ]);
    const unknown = await ci.post('/api/v1/services/search/releases', {
      version: 'main.1',
      pipeline: pipelineFor('search'),
      manifests: [{ ...manifests[1], environment: 'qa' }],
    });
    expect(unknown.body.error.details[0]).toEqual({
      path: 'manifests[0].environment',
      problem: '"qa" is not an environment of the pipeline (staging, production)',
    });
    const badDeploy = await ci.post('/api/v1/services/search/releases', {
      version: 'main.1',
      pipeline: { ...pipelineFor('search'), deploy: { environments: [{ name: 'prod' }] } },
    });
    expect(badDeploy.body.error.details).toEqual([{ path: 'pipeline.deploy.environments[0].namespace', problem: 'is required' }]);
  });

  it('answers 503 naming KUBECONFIG when no cluster is configured; the CLI says so', async () => {
    const id = await publishRelease(ci, 'search', 'main.2', digest(2), pipelineFor('search'), manifestsFor('search'));
    const res = await ci.post(`/api/v1/releases/${id}/rollout`, {});
    expect(res.status).toBe(503);
    expect(res.body.error).toMatchObject({
      code: 'KUBERNETES_NOT_CONFIGURED',
      message: 'no Kubernetes cluster is configured: set KUBECONFIG, or run the server in a cluster with a service account',
    });
    expect((await admin.get(`/api/v1/releases/${id}/rollout`)).status).toBe(404);
    expect((await admin.get('/api/v1/rollouts?status=running,waiting')).body).toEqual({ items: [] });
    expect((await admin.get('/api/v1/rollouts?status=nonsense')).status).toBe(400);
    expect((await admin.get('/api/v1/services/search/environments/production')).status).toBe(404);
    expect((await admin.get('/api/v1/services/search/environments/Prod')).status).toBe(400);

    let stderr = '';
    const code = await runCli(['rollout', id, '--start'], {
      env: { SWITCHYARD_URL: server.url, SWITCHYARD_TOKEN: ciToken },
      cwd: process.cwd(),
      stdout: { write: () => true },
      stderr: { write: (text: string) => (stderr += text) },
    });
    expect(code).toBe(1);
    expect(stderr).toContain(
      `switchyard: could not start the rollout of release ${id}: ${server.url} answered 503 KUBERNETES_NOT_CONFIGURED: no Kubernetes cluster is configured`,
    );
  });
});
