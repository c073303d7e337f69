import { ValidationFailedError } from '@switchyard/errors';
import type { PipelineSpec } from '../pipeline/pipeline-spec';
import { imageShortfalls, parsePolicy, pipelineShortfalls, policyFromPipeline, type ReleasePolicy } from './release-policy';

const REPOSITORY = '127.0.0.1:5000/team/api';

function pipeline(environments: Array<{ name: string; namespace: string; approval: 'required' | 'none' }>, repository = REPOSITORY): PipelineSpec {
  return {
    service: 'api',
    build: { context: '.', containerfile: 'Containerfile', args: {} },
    test: { command: 'npm test', results: 'junit.xml', inImage: false },
    publish: { repository, insecure: false },
    deploy: { manifests: 'deploy', environments },
  };
}

const POLICY: ReleasePolicy = {
  environments: {
    staging: { namespace: 'api-staging', approval: 'none', fourEyes: true },
    production: { namespace: 'api-prod', approval: 'required', fourEyes: true },
  },
  repositories: [REPOSITORY],
};

describe('parsePolicy', () => {
  it('fills approval "none" and four-eyes on by default', () => {
    expect(parsePolicy({ environments: { staging: { namespace: 'api-staging' } }, repositories: [REPOSITORY, REPOSITORY] })).toEqual({
      environments: { staging: { namespace: 'api-staging', approval: 'none', fourEyes: true } },
      repositories: [REPOSITORY],
    });
  });

  it('names every problem, typos included', () => {
    const attempt = () =>
      parsePolicy({
        environments: { Prod: { namespace: 'kube_system', approval: 'maybe', fourEye: false } },
        repositories: ['127.0.0.1:5000/team/api:1.0'],
        extra: 1,
      });
    expect(attempt).toThrow(ValidationFailedError);
    try {
      attempt();
    } catch (error) {
      expect((error as ValidationFailedError).details.map((d) => d.path)).toEqual([
        'extra',
        'environments.Prod',
        'environments.Prod.fourEye',
        'environments.Prod.namespace',
        'environments.Prod.approval',
        'repositories[0]',
      ]);
    }
  });

  it('refuses an empty policy', () => {
    expect(() => parsePolicy({ environments: {}, repositories: [] })).toThrow(/environments/);
    expect(() => parsePolicy('prod')).toThrow(ValidationFailedError);
  });
});

describe('pipelineShortfalls', () => {
  it('accepts a pipeline that asks for exactly the policy, or more (a gate in staging, fewer environments)', () => {
    expect(
      pipelineShortfalls(
        POLICY,
        pipeline([
          { name: 'staging', namespace: 'api-staging', approval: 'none' },
          { name: 'production', namespace: 'api-prod', approval: 'required' },
        ]),
      ),
    ).toEqual([]);
    expect(pipelineShortfalls(POLICY, pipeline([{ name: 'staging', namespace: 'api-staging', approval: 'required' }]))).toEqual([]);
  });

  it('names each way the pipeline asks for less: approval dropped, namespace moved, unknown environment, other repository', () => {
    expect(
      pipelineShortfalls(
        POLICY,
        pipeline(
          [
            { name: 'staging', namespace: 'kube-system', approval: 'none' },
            { name: 'production', namespace: 'api-prod', approval: 'none' },
            { name: 'sandbox', namespace: 'sandbox', approval: 'none' },
          ],
          'evil.example.com/api',
        ),
      ),
    ).toEqual([
      { path: 'pipeline.publish.repository', problem: `"evil.example.com/api" is not an allowed repository (${REPOSITORY})` },
      { path: 'pipeline.deploy.environments[0].namespace', problem: 'is "kube-system" but the policy deploys staging to "api-staging"' },
      { path: 'pipeline.deploy.environments[1].approval', problem: 'is "none" but the policy requires approval in production' },
      { path: 'pipeline.deploy.environments[2].name', problem: '"sandbox" is not an environment of the policy (staging, production)' },
    ]);
  });
});

describe('imageShortfalls', () => {
  const digest = `sha256:${'ab'.repeat(32)}`;

  it('accepts an image of an allowed repository pinned by digest', () => {
    expect(imageShortfalls(POLICY, { imageReference: `${REPOSITORY}:main.1`, imageDigest: digest })).toEqual([]);
  });

  it('refuses another repository, and an image without digest', () => {
    expect(imageShortfalls(POLICY, { imageReference: 'docker.io/library/nginx:latest', imageDigest: null })).toEqual([
      { path: 'imageReference', problem: `docker.io/library/nginx is not an allowed repository (${REPOSITORY})` },
      { path: 'imageDigest', problem: 'publish reported no digest; a rollout runs images by digest only' },
    ]);
  });
});

describe('policyFromPipeline', () => {
  it('proposes the pipeline environments with four-eyes on and its repository', () => {
    expect(
      policyFromPipeline(
        pipeline([
          { name: 'staging', namespace: 'api-staging', approval: 'none' },
          { name: 'production', namespace: 'api-prod', approval: 'required' },
        ]),
      ),
    ).toEqual(POLICY);
  });
});
