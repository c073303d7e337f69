import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ApiClient } from '../../support/api-client';
import { PrivateRegistry, scratchImage, type ScratchImage } from '../deploy/private-registry';
import { KubeSimulator } from '../../support/kube-simulator/kube-simulator';
import { waitFor } from '../../support/test-server';

const images = new Map<string, ScratchImage>();

/** The digest of release n's image: a real one, pushed by publishRelease, since a rollout resolves it in the registry. */
export const digest = (n: number): string => {
  const image = scratchImage(`release-${n}`);
  images.set(image.digest, image);
  return image.digest;
};

let registry: PrivateRegistry | undefined;

/** A real docker-registry for this test file's images (call in beforeAll; stop it in afterAll). */
export async function startRegistry(): Promise<PrivateRegistry> {
  registry = await PrivateRegistry.start();
  return registry;
}

export const ERROR_RATE_QUERY =
  'sum(rate(http_requests_total{service="{{service}}",track="{{track}}",code=~"5.."}[1m])) / sum(rate(http_requests_total{service="{{service}}",track="{{track}}"}[1m]))';

/** Collects webhook posts (JSON) as a Slack-compatible receiver would get them. */
export class WebhookReceiver {
  readonly received: any[] = [];

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<WebhookReceiver> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const receiver = new WebhookReceiver(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/rollouts`);
    server.on('request', (req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        receiver.received.push({ ...JSON.parse(body), contentType: req.headers['content-type'], path: req.url });
        res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      });
    });
    return receiver;
  }

  of(rolloutId: string): any[] {
    return this.received.filter((event) => event.rolloutId === rolloutId);
  }

  async waitFor(what: string, predicate: (event: any) => boolean, timeoutMs = 10_000): Promise<any> {
    return waitFor(() => this.received.find(predicate), timeoutMs, `webhook ${what}`);
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** A cluster (the simulator) with a kubeconfig on disk, as `KUBECONFIG=… npm start` would use it. */
export async function startCluster(podStartMs = 30): Promise<{ sim: KubeSimulator; kubeconfig: string; dispose(): Promise<void> }> {
  const sim = await KubeSimulator.start({ podStartMs });
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-kube-'));
  const kubeconfig = join(dir, 'kubeconfig');
  sim.writeKubeconfig(kubeconfig);
  return {
    sim,
    kubeconfig,
    async dispose() {
      await sim.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface AnalysisOptions {
  interval?: string;
  iterations?: number;
  minSamples?: number;
  failureLimit?: number;
}

export const repositoryOf = (service: string): string => `${registry?.host ?? '127.0.0.1:5000'}/team/${service}`;

/** The release policy pipelineFor asks for (staging, then production behind approval), registered by an admin. */
export async function registerPolicy(admin: ApiClient, service: string, overrides: { fourEyes?: boolean } = {}): Promise<any> {
  const res = await admin.request('PUT', `/api/v1/services/${service}/policy`, {
    environments: {
      staging: { namespace: `${service}-staging` },
      production: { namespace: `${service}-prod`, approval: 'required', ...overrides },
    },
    repositories: [repositoryOf(service)],
  });
  if (res.status !== 200) throw new Error(`policy registration failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/** A pipeline with staging, then production behind an approval gate (with a canary when `canary` is given). */
export function pipelineFor(service: string, options: { canary?: AnalysisOptions; stagingTimeout?: string } = {}): Record<string, unknown> {
  return {
    service,
    build: { context: '.', containerfile: 'Containerfile' },
    test: { command: 'npm test', results: 'reports/junit.xml' },
    publish: { repository: repositoryOf(service) },
    deploy: {
      manifests: 'deploy',
      environments: [
        { name: 'staging', namespace: `${service}-staging`, ...(options.stagingTimeout ? { timeout: options.stagingTimeout } : {}) },
        {
          name: 'production',
          namespace: `${service}-prod`,
          approval: 'required',
          ...(options.canary
            ? {
                canary: {
                  replicas: 1,
                  analysis: {
                    interval: options.canary.interval ?? '1s',
                    iterations: options.canary.iterations ?? 2,
                    minSamples: options.canary.minSamples ?? 20,
                    failureLimit: options.canary.failureLimit ?? 0,
                    metrics: [{ name: 'error-rate', query: ERROR_RATE_QUERY, max: 0.01, compare: { to: 'stable', maxRatio: 1.5 } }],
                  },
                },
              }
            : {}),
        },
      ],
    },
  };
}

/** deploy/<environment>/ as `switchyard release` uploads it: a Deployment (track=stable) and a Service selecting both tracks. */
export function manifestsFor(service: string, options: { replicas?: number; progressDeadlineSeconds?: number } = {}): any[] {
  return ['staging', 'production'].flatMap((environment) => [
    {
      environment,
      file: `deploy/${environment}/deployment.yaml`,
      object: {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: service, labels: { app: service, track: 'stable' } },
        spec: {
          replicas: options.replicas ?? 2,
          progressDeadlineSeconds: options.progressDeadlineSeconds ?? 600,
          selector: { matchLabels: { app: service, track: 'stable' } },
          template: {
            metadata: { labels: { app: service, track: 'stable' } },
            spec: { containers: [{ name: service, image: `${repositoryOf(service)}:latest`, ports: [{ name: 'http', containerPort: 8080 }] }] },
          },
        },
      },
    },
    {
      environment,
      file: `deploy/${environment}/service.yaml`,
      object: {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: service },
        spec: { selector: { app: service }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
      },
    },
  ]);
}

/** Records a release through build, test and publish (as the CLI reports it) and returns its id. */
export async function publishRelease(
  ci: ApiClient,
  service: string,
  version: string,
  imageDigest: string,
  pipeline: Record<string, unknown>,
  manifests: any[],
): Promise<string> {
  const created = await ci.post(`/api/v1/services/${service}/releases`, { version, gitSha: '4f2a9c1e0d6b', branch: 'main', pipeline, manifests });
  if (created.status !== 201) throw new Error(`release creation failed: ${created.status} ${JSON.stringify(created.body)}`);
  const id = created.body.id as string;
  for (const stage of ['build', 'test', 'publish']) {
    await ci.patch(`/api/v1/releases/${id}/stages/${stage}`, { status: 'running' });
    const image = images.get(imageDigest);
    if (stage === 'publish' && registry && image) await registry.push(`team/${service}`, version, image);
    const artifacts = stage === 'publish' ? { imageReference: `${repositoryOf(service)}:${version}`, imageDigest } : undefined;
    const done = await ci.patch(`/api/v1/releases/${id}/stages/${stage}`, { status: 'succeeded', ...(artifacts ? { artifacts } : {}) });
    if (done.status !== 200) throw new Error(`stage ${stage} report failed: ${done.status} ${JSON.stringify(done.body)}`);
  }
  return id;
}

/** Polls the release's rollout until `accept` holds (the rollout moves on a background driver). */
export async function rolloutOf(api: ApiClient, releaseId: string, accept: (rollout: any) => boolean, what: string, timeoutMs = 20_000): Promise<any> {
  let last: any;
  try {
    return await waitFor(
      async () => {
        const res = await api.get(`/api/v1/releases/${releaseId}/rollout`);
        last = res.body;
        return res.status === 200 && accept(res.body) ? res.body : undefined;
      },
      timeoutMs,
      what,
    );
  } catch (error) {
    throw new Error(`${(error as Error).message}\nlast rollout: ${JSON.stringify(last, null, 2).slice(0, 4000)}`, { cause: error });
  }
}

export const atGate = (environment: string) => (rollout: any) => rollout.status === 'waiting' && rollout.gate?.environment === environment;
export const ended = (rollout: any) => ['succeeded', 'failed', 'aborted', 'superseded'].includes(rollout.status);

/** The image the Deployment's (first) container runs in the simulated cluster. */
export function imageIn(sim: KubeSimulator, namespace: string, name: string): string | undefined {
  return (sim.object('Deployment', namespace, name)?.spec as any)?.template?.spec?.containers?.[0]?.image;
}

/** The simulator's requests since index `from`, counted by verb: `34 (get 8, list 9, watch 9, apply 6, …)`. */
export function requestSummary(sim: KubeSimulator, from: number): string {
  const counts = new Map<string, number>();
  for (const r of sim.requests.slice(from)) {
    const segments = r.path.split('/').filter(Boolean);
    // /api/v1/… or /apis/<group>/v1/…, then alternating collection and name segments.
    const named = (segments.length - (r.path.startsWith('/apis/') ? 3 : 2)) % 2 === 0;
    const verb =
      r.method === 'GET'
        ? r.watch
          ? 'watch'
          : named
            ? 'get'
            : 'list'
        : r.method === 'PATCH'
          ? 'apply'
          : r.method === 'POST'
            ? 'create'
            : r.method.toLowerCase();
    counts.set(verb, (counts.get(verb) ?? 0) + 1);
  }
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  return `${total} (${[...counts].map(([verb, n]) => `${verb} ${n}`).join(', ')})`;
}
