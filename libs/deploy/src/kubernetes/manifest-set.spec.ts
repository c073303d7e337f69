import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadPipelineFile } from '../pipeline/pipeline-file';
import type { KubeObject } from './kube-resources';
import { canaryOf, checkManifests, imageRepository, loadManifests, ManifestError, prepareEnvironment, RELEASE_ANNOTATION } from './manifest-set';

const EXAMPLE = resolve(__dirname, '../../../../deploy/examples/market-data');
const IMAGE = `127.0.0.1:5000/team/market-data@sha256:${'ab'.repeat(32)}`;

describe('the market-data example', () => {
  const { spec } = loadPipelineFile(EXAMPLE);
  const manifests = loadManifests(EXAMPLE, spec);

  it('loads deploy/<environment>/*.yaml for each environment (the canary folder is not an environment)', () => {
    expect(manifests.map((m) => `${m.environment} ${m.file} ${m.object.kind}/${m.object.metadata.name}`)).toEqual([
      'staging deploy/staging/deployment.yaml Deployment/market-data',
      'staging deploy/staging/service.yaml Service/market-data',
      'production deploy/production/deployment.yaml Deployment/market-data',
      'production deploy/production/service.yaml Service/market-data',
    ]);
    expect(checkManifests(spec, manifests)).toEqual([]);
  });

  it('sets the image on the parsed objects, puts config before workloads and records the release', () => {
    const production = spec.deploy!.environments[1];
    const plan = prepareEnvironment(spec, production, manifests, { id: 'r-1', version: 'main.7', image: IMAGE });
    expect(plan.objects.map((o) => o.kind)).toEqual(['Service', 'Deployment']);
    const deployment = plan.objects[1];
    expect((deployment.spec as any).template.spec.containers[0].image).toBe(IMAGE);
    expect(deployment.metadata.annotations).toMatchObject({ [RELEASE_ANNOTATION]: 'r-1', 'switchyard.dev/version': 'main.7' });
    expect(plan.primary).toBe('market-data');
    // The manifest itself is untouched (the objects are copies).
    expect((manifests[2].object.spec as any).template.spec.containers[0].image).toBe('127.0.0.1:5000/team/market-data:latest');
  });

  it('derives the canary exactly as deploy/canary/deployment.yaml shows it', () => {
    const production = prepareEnvironment(spec, spec.deploy!.environments[1], manifests, { id: 'r-1', version: 'main.7', image: IMAGE });
    const canary = canaryOf(production.objects[1], 1);
    const documented = loadManifests(EXAMPLE, {
      ...spec,
      deploy: { manifests: 'deploy', environments: [{ name: 'canary', namespace: 'market-data', approval: 'none' }] },
    })[0].object;
    expect(canary.metadata).toMatchObject({ name: documented.metadata.name, namespace: 'market-data', labels: documented.metadata.labels });
    expect((canary.spec as any).selector).toEqual((documented.spec as any).selector);
    expect((canary.spec as any).replicas).toBe(1);
    expect((canary.spec as any).template.metadata.labels).toEqual((documented.spec as any).template.metadata.labels);
    expect((canary.spec as any).template.spec.containers[0].image).toBe(IMAGE);
  });
});

describe('checkManifests', () => {
  const { spec } = loadPipelineFile(EXAMPLE);
  const manifests = loadManifests(EXAMPLE, spec);
  const edit = (index: number, change: (object: KubeObject) => void) =>
    manifests.map((m, i) => {
      const copy = structuredClone(m);
      if (i === index) change(copy.object);
      return copy;
    });

  it('names each problem by its upload index and file', () => {
    expect(
      checkManifests(
        spec,
        edit(0, (o) => (o.metadata.namespace = 'elsewhere')),
      ),
    ).toEqual([
      {
        path: 'manifests[0].object.metadata.namespace',
        problem: 'deploy/staging/deployment.yaml: Deployment market-data is in namespace elsewhere, but environment staging deploys to market-data-staging',
      },
    ]);
    expect(
      checkManifests(
        spec,
        edit(3, (o) => ((o.spec as any).selector = { app: 'market-data', track: 'stable' })),
      )[0],
    ).toEqual({
      path: 'manifests[3].object.spec.selector',
      problem:
        'deploy/production/service.yaml: Service market-data selects track=stable, so the canary (track=canary) would get no traffic; select both tracks',
    });
    expect(
      checkManifests(
        spec,
        edit(1, (o) => (o.kind = 'CronJob')),
      )[0].problem,
    ).toMatch(/^deploy\/staging\/service\.yaml: v1 CronJob is not supported \(supported: v1 Service, /);
    expect(checkManifests(spec, manifests.slice(0, 2))).toEqual([
      { path: 'manifests', problem: 'environment production has no manifests (deploy/production/*.yml)' },
    ]);
    expect(
      checkManifests(
        spec,
        edit(0, (o) => {
          o.metadata.name = 'worker';
          (o.spec as any).template.spec.containers[0].name = 'worker';
          (o.spec as any).template.spec.containers[0].image = 'redis:7';
        }),
      ),
    ).toEqual([
      {
        path: 'manifests',
        problem: "environment staging: no Deployment runs the service's image (a container using 127.0.0.1:5000/team/market-data, or named market-data)",
      },
    ]);
  });
});

describe('loadManifests', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'manifests-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const spec = {
    service: 'api',
    build: { context: '.', containerfile: 'Containerfile', args: {} },
    test: { command: 'x', results: 'r.xml', inImage: false },
    publish: { repository: 'reg/api', insecure: false },
  };

  it('reads multi-document files, skips empty documents, and names a missing folder or bad YAML', () => {
    mkdirSync(join(dir, 'k8s/dev'), { recursive: true });
    writeFileSync(
      join(dir, 'k8s/dev/all.yml'),
      '---\napiVersion: v1\nkind: Service\nmetadata: { name: api }\n---\n# nothing\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: { name: api }\n',
    );
    const deploy = { manifests: 'k8s', environments: [{ name: 'dev', namespace: 'dev', approval: 'none' as const }] };
    expect(loadManifests(dir, { ...spec, deploy }).map((m) => m.object.kind)).toEqual(['Service', 'Deployment']);
    writeFileSync(join(dir, 'k8s/dev/broken.yml'), 'kind: [unclosed\n');
    expect(() =>
      loadManifests(dir, { ...spec, deploy: { ...deploy, environments: [...deploy.environments, { name: 'prod', namespace: 'prod', approval: 'none' }] } }),
    ).toThrow(ManifestError);
    try {
      loadManifests(dir, { ...spec, deploy: { ...deploy, environments: [...deploy.environments, { name: 'prod', namespace: 'prod', approval: 'none' }] } });
    } catch (error) {
      expect((error as ManifestError).problems.map((p) => p.path)).toEqual(['k8s/dev/broken.yml', 'k8s/prod']);
    }
  });
});

describe('imageRepository', () => {
  it.each([
    ['127.0.0.1:5000/team/api:1.2', '127.0.0.1:5000/team/api'],
    [`reg.io/api@sha256:${'a'.repeat(64)}`, 'reg.io/api'],
    ['reg.io:443/api:1@sha256:abc', 'reg.io:443/api'],
    ['api', 'api'],
  ])('%s → %s', (image, repository) => expect(imageRepository(image)).toBe(repository));
});
