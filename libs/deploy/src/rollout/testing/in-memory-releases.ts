import type { EntityManager } from 'typeorm';
import type { EnvironmentSpec, PipelineSpec } from '../../pipeline/pipeline-spec';
import type { ManifestDocument } from '../../kubernetes/manifest-set';
import type { Release } from '../../releases/release.entity';
import type { ReleasesRepository } from '../../releases/releases.repository';

const copy = <T>(value: T): T => structuredClone(value);

/** Releases by id, as the rollout code reads them (RolloutsService only finds them). */
export class InMemoryReleases implements Pick<ReleasesRepository, 'find'> {
  readonly releases = new Map<string, Release>();

  add(release: Release): Release {
    this.releases.set(release.id, copy(release));
    return release;
  }

  async find(_m: EntityManager, id: string): Promise<Release | undefined> {
    const release = this.releases.get(id);
    return release ? copy(release) : undefined;
  }
}

/**
 * A published release of `shop` (image `registry.test/shop`, pinned by digest) whose pipeline
 * deploys to the given environments, each in namespace `shop-<name>`.
 */
export function releaseFixture(
  id: string,
  environments: Array<Pick<EnvironmentSpec, 'name'> & Partial<EnvironmentSpec>>,
  overrides: Partial<Release> = {},
): Release {
  const pipeline: PipelineSpec = {
    service: 'shop',
    build: { context: '.', containerfile: 'Containerfile', args: {} },
    test: { command: 'npm test', results: 'junit.xml', inImage: false },
    publish: { repository: 'registry.test/shop', insecure: false },
    deploy: {
      manifests: 'deploy',
      environments: environments.map((e) => ({ namespace: `shop-${e.name}`, approval: 'none' as const, ...e })),
    },
  };
  const at = '2026-01-01T00:00:00.000Z';
  return {
    id,
    service: 'shop',
    version: '1.2.0',
    gitSha: null,
    branch: null,
    buildNumber: null,
    status: 'succeeded',
    failedStage: null,
    imageReference: 'registry.test/shop:1.2.0',
    imageDigest: 'sha256:1111111111111111111111111111111111111111111111111111111111111111',
    createdBy: 'token:ci',
    createdAt: at,
    updatedAt: at,
    lastReportAt: at,
    finishedAt: at,
    pipeline,
    stages: [],
    ...overrides,
  };
}

/** One Deployment `shop` (container `shop`) per environment, as `switchyard release` uploads them. */
export function manifestsFor(environments: string[]): ManifestDocument[] {
  return environments.map((environment) => ({
    environment,
    file: `deploy/${environment}/deployment.yml`,
    object: {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'shop' },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'shop' } },
        template: { metadata: { labels: { app: 'shop' } }, spec: { containers: [{ name: 'shop', image: 'registry.test/shop:latest' }] } },
      },
    },
  }));
}
