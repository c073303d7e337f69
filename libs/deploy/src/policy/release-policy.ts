import { AppError, ValidationFailedError, type ErrorDetail } from '@switchyard/errors';
import type { PipelineSpec } from '../pipeline/pipeline-spec';
import { imageRepository } from '../kubernetes/manifest-set';
import type { EnvironmentPolicy, ReleasePolicy } from './release-policy.contract';

export type { EnvironmentPolicy, ReleasePolicy, StoredPolicy } from './release-policy.contract';

const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
// `host[:port]/path`, Docker's reference grammar without tag or digest (a bare `team/app` is Docker Hub).
const REPOSITORY = /^(?:[a-zA-Z0-9.-]+(?::\d{1,5})?\/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;
const MAX_ENVIRONMENTS = 50;
const MAX_REPOSITORIES = 20;

/** A release (or its image) asks for less than the policy: refused, each difference named. */
export class PolicyViolationError extends AppError {
  constructor(service: string, version: number, details: ErrorDetail[]) {
    super('POLICY_VIOLATION', `the release asks for less than the release policy of ${service} (version ${version}); nothing was changed`, 403, details, {
      policyVersion: version,
    });
  }
}

/** No policy yet: an admin must accept one before anything of this service reaches a cluster. */
export class PolicyRequiredError extends AppError {
  constructor(service: string, releaseId: string, proposed: ReleasePolicy | null) {
    super(
      'POLICY_REQUIRED',
      `${service} has no release policy yet; an admin must register one (PUT /api/v1/services/${service}/policy) or accept the one this release proposes ` +
        `(POST /api/v1/services/${service}/policy/accept {"releaseId":"${releaseId}"}, or \`switchyard policy accept ${service} --release ${releaseId}\`), then start the rollout again`,
      409,
      [],
      { proposedPolicy: proposed },
    );
  }
}

/** The image cannot run: outside the allowed repositories, without a digest, or not in its registry. */
export class ImageRefusedError extends AppError {
  constructor(details: ErrorDetail[]) {
    super('IMAGE_REFUSED', `the release's image cannot be rolled out: ${details.map((d) => d.problem).join('; ')}`, 422, details);
  }
}

/** Four-eyes: the approver is the party that started the release. */
export class FourEyesError extends AppError {
  constructor(message: string) {
    super('FOUR_EYES', message, 403);
  }
}

/** Validates a policy document (JSON from the API, YAML from the CLI), filling defaults. */
export function parsePolicy(input: unknown): ReleasePolicy {
  const problems: ErrorDetail[] = [];
  const out: ReleasePolicy = { environments: {}, repositories: [] };
  if (!isObject(input)) throw new ValidationFailedError([{ path: '', problem: 'must be an object with environments and repositories' }]);
  for (const key of Object.keys(input)) if (key !== 'environments' && key !== 'repositories') problems.push({ path: key, problem: 'is not a policy field' });
  const environments = input.environments;
  if (!isObject(environments) || Object.keys(environments).length === 0) {
    problems.push({ path: 'environments', problem: 'must map at least one environment name to its namespace' });
  } else if (Object.keys(environments).length > MAX_ENVIRONMENTS) {
    problems.push({ path: 'environments', problem: `must have at most ${MAX_ENVIRONMENTS} environments` });
  } else {
    for (const [name, value] of Object.entries(environments)) {
      const at = `environments.${name}`;
      if (!DNS_LABEL.test(name)) problems.push({ path: at, problem: 'the environment name must be a DNS label' });
      if (!isObject(value)) {
        problems.push({ path: at, problem: 'must be an object with namespace, approval and fourEyes' });
        continue;
      }
      for (const key of Object.keys(value))
        if (!['namespace', 'approval', 'fourEyes'].includes(key)) problems.push({ path: `${at}.${key}`, problem: 'is not an environment policy field' });
      const { namespace, approval = 'none', fourEyes = true } = value;
      if (typeof namespace !== 'string' || !DNS_LABEL.test(namespace))
        problems.push({ path: `${at}.namespace`, problem: 'must be a namespace name (a DNS label)' });
      if (approval !== 'required' && approval !== 'none') problems.push({ path: `${at}.approval`, problem: 'must be "required" or "none"' });
      if (typeof fourEyes !== 'boolean') problems.push({ path: `${at}.fourEyes`, problem: 'must be true or false' });
      out.environments[name] = { namespace: namespace as string, approval: approval as EnvironmentPolicy['approval'], fourEyes: fourEyes as boolean };
    }
  }
  const repositories = input.repositories;
  if (!Array.isArray(repositories) || repositories.length === 0 || repositories.length > MAX_REPOSITORIES) {
    problems.push({ path: 'repositories', problem: `must list 1 to ${MAX_REPOSITORIES} image repositories` });
  } else {
    repositories.forEach((repository: unknown, i) => {
      if (typeof repository !== 'string' || repository.length > 255 || !REPOSITORY.test(repository)) {
        problems.push({ path: `repositories[${i}]`, problem: 'must be an image repository without tag or digest, e.g. registry.example.com/team/app' });
      } else if (!out.repositories.includes(repository)) out.repositories.push(repository);
    });
  }
  if (problems.length) throw new ValidationFailedError(problems);
  return out;
}

/** Fields in a stable order (PostgreSQL's jsonb keeps its own key order), for display and comparison. */
export function canonicalPolicy(policy: ReleasePolicy): ReleasePolicy {
  return {
    environments: Object.fromEntries(
      Object.entries(policy.environments).map(([name, e]) => [name, { namespace: e.namespace, approval: e.approval, fourEyes: e.fourEyes }]),
    ),
    repositories: [...policy.repositories],
  };
}

export function samePolicy(a: ReleasePolicy, b: ReleasePolicy): boolean {
  const key = (p: ReleasePolicy) => JSON.stringify({ ...canonicalPolicy(p), environments: Object.entries(canonicalPolicy(p).environments).sort() });
  return key(a) === key(b);
}

/** The policy a first release proposes: its pipeline's environments, with four-eyes on, and its repository. */
export function policyFromPipeline(spec: PipelineSpec): ReleasePolicy | null {
  if (!spec.deploy) return null;
  return {
    environments: Object.fromEntries(spec.deploy.environments.map((e) => [e.name, { namespace: e.namespace, approval: e.approval, fourEyes: true }])),
    repositories: [spec.publish.repository],
  };
}

/**
 * Where the pipeline asks for less than the policy: an environment the policy does not know, another
 * namespace, no approval where the policy requires one, a repository it does not allow. Asking for
 * more (an extra gate, fewer environments) is fine.
 */
export function pipelineShortfalls(policy: ReleasePolicy, spec: PipelineSpec): ErrorDetail[] {
  const problems: ErrorDetail[] = [];
  if (!policy.repositories.includes(spec.publish.repository)) {
    problems.push({
      path: 'pipeline.publish.repository',
      problem: `"${spec.publish.repository}" is not an allowed repository (${policy.repositories.join(', ')})`,
    });
  }
  (spec.deploy?.environments ?? []).forEach((environment, i) => {
    const at = `pipeline.deploy.environments[${i}]`;
    const required = policy.environments[environment.name];
    if (!required) {
      problems.push({
        path: `${at}.name`,
        problem: `"${environment.name}" is not an environment of the policy (${Object.keys(policy.environments).join(', ')})`,
      });
      return;
    }
    if (environment.namespace !== required.namespace) {
      problems.push({
        path: `${at}.namespace`,
        problem: `is "${environment.namespace}" but the policy deploys ${environment.name} to "${required.namespace}"`,
      });
    }
    if (required.approval === 'required' && environment.approval !== 'required') {
      problems.push({ path: `${at}.approval`, problem: `is "${environment.approval}" but the policy requires approval in ${environment.name}` });
    }
  });
  return problems;
}

/** The image must come from an allowed repository and be pinned by digest (resolving it is the registry's part). */
export function imageShortfalls(policy: ReleasePolicy, release: { imageReference: string | null; imageDigest: string | null }): ErrorDetail[] {
  const problems: ErrorDetail[] = [];
  if (release.imageReference) {
    const repository = imageRepository(release.imageReference);
    if (!policy.repositories.includes(repository)) {
      problems.push({ path: 'imageReference', problem: `${repository} is not an allowed repository (${policy.repositories.join(', ')})` });
    }
  } else problems.push({ path: 'imageReference', problem: 'publish reported no image reference' });
  if (!release.imageDigest) problems.push({ path: 'imageDigest', problem: 'publish reported no digest; a rollout runs images by digest only' });
  return problems;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
