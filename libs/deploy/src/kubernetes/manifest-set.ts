import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { MANIFEST_KINDS, resourceInfo, type KubeObject } from './kube-resources';
import type { EnvironmentSpec, PipelineSpec } from '../pipeline/pipeline-spec';

/** One Kubernetes object from `deploy/<environment>/<file>`, as CI uploads it with the release. */
export interface ManifestDocument {
  environment: string;
  /** Relative to switchyard.yml, for messages: `deploy/staging/deployment.yaml`. */
  file: string;
  object: KubeObject;
}

export interface ManifestProblem {
  path: string;
  problem: string;
}

/** Annotations Switchyard puts on what it applies, so `kubectl get -o yaml` says which release it is. */
export const RELEASE_ANNOTATION = 'switchyard.dev/release';
export const VERSION_ANNOTATION = 'switchyard.dev/version';
export const TRACK_LABEL = 'track';

export class ManifestError extends Error {
  constructor(readonly problems: ManifestProblem[]) {
    super(problems.map((p) => `${p.path}: ${p.problem}`).join('\n'));
    this.name = 'ManifestError';
  }
}

/**
 * Reads `<dir>/<deploy.manifests>/<environment>/*.{yml,yaml}` (multi-document files allowed),
 * parsing YAML into objects: the image is set later on the parsed objects, never by substitution.
 */
export function loadManifests(dir: string, spec: PipelineSpec): ManifestDocument[] {
  const deploy = spec.deploy;
  if (!deploy) return [];
  const documents: ManifestDocument[] = [];
  const problems: ManifestProblem[] = [];
  for (const environment of deploy.environments) {
    const folder = resolve(dir, deploy.manifests, environment.name);
    const shown = relative(dir, folder) || '.';
    if (!existsSync(folder) || !statSync(folder).isDirectory()) {
      problems.push({ path: shown, problem: `no manifests for environment ${environment.name} (expected ${shown}/*.yml)` });
      continue;
    }
    for (const name of readdirSync(folder)
      .filter((n) => /\.ya?ml$/.test(n))
      .sort()) {
      const file = join(folder, name);
      const label = relative(dir, file);
      for (const [index, document] of parseAllDocuments(readFileSync(file, 'utf8')).entries()) {
        if ('errors' in document && document.errors.length) {
          problems.push({ path: label, problem: `invalid YAML in document ${index + 1}: ${document.errors[0].message.split('\n')[0]}` });
          continue;
        }
        const value: unknown = document.toJS();
        if (value === null || value === undefined) continue;
        if (typeof value !== 'object' || Array.isArray(value)) {
          problems.push({ path: label, problem: `document ${index + 1} is not a Kubernetes object` });
          continue;
        }
        documents.push({ environment: environment.name, file: label, object: value as KubeObject });
      }
    }
  }
  if (problems.length) throw new ManifestError(problems);
  return documents;
}

/** `127.0.0.1:5000/team/api:1.2@sha256:…` → `127.0.0.1:5000/team/api`. */
export function imageRepository(image: string): string {
  const withoutDigest = image.replace(/@.*$/, '');
  const slash = withoutDigest.lastIndexOf('/');
  const colon = withoutDigest.lastIndexOf(':');
  return colon > slash ? withoutDigest.slice(0, colon) : withoutDigest;
}

interface Container {
  name?: string;
  image?: string;
  [field: string]: unknown;
}

function podContainers(object: KubeObject): Container[] {
  const template = object.spec?.template as { spec?: { containers?: Container[] } } | undefined;
  return Array.isArray(template?.spec?.containers) ? template.spec.containers : [];
}

/**
 * Which containers run the service's image: those already naming its repository; else the one
 * named after the service; else the only container of the Deployment named after the service.
 */
export function imageTargets(object: KubeObject, spec: PipelineSpec): string[] {
  if (object.kind !== 'Deployment') return [];
  const containers = podContainers(object);
  const byRepository = containers.filter((c) => typeof c.image === 'string' && imageRepository(c.image) === spec.publish.repository);
  if (byRepository.length) return byRepository.map((c) => String(c.name));
  const byName = containers.filter((c) => c.name === spec.service);
  if (byName.length) return byName.map((c) => String(c.name));
  if (object.metadata?.name === spec.service && containers.length === 1) return [String(containers[0].name)];
  return [];
}

/** Problems with uploaded manifests, as API validation details (`manifests[2].object.metadata.name`). */
export function checkManifests(spec: PipelineSpec, manifests: ManifestDocument[]): ManifestProblem[] {
  const problems: ManifestProblem[] = [];
  const deploy = spec.deploy;
  if (!deploy) {
    if (manifests.length) problems.push({ path: 'manifests', problem: 'the pipeline has no deploy section; manifests have nowhere to go' });
    return problems;
  }
  const environments = new Map(deploy.environments.map((e) => [e.name, e]));
  const seen = new Set<string>();
  manifests.forEach((document, i) => {
    const at = `manifests[${i}]`;
    const environment = environments.get(document.environment);
    if (!environment) {
      problems.push({
        path: `${at}.environment`,
        problem: `"${document.environment}" is not an environment of the pipeline (${[...environments.keys()].join(', ')})`,
      });
      return;
    }
    const object = document.object as Partial<KubeObject> | undefined;
    const where = `${document.file}`;
    if (!object || typeof object !== 'object') {
      problems.push({ path: `${at}.object`, problem: `${where}: not a Kubernetes object` });
      return;
    }
    if (typeof object.apiVersion !== 'string' || typeof object.kind !== 'string') {
      problems.push({ path: `${at}.object`, problem: `${where}: apiVersion and kind are required` });
      return;
    }
    if (!MANIFEST_KINDS.includes(`${object.apiVersion}/${object.kind}`)) {
      problems.push({
        path: `${at}.object.kind`,
        problem: `${where}: ${object.apiVersion} ${object.kind} is not supported (supported: ${MANIFEST_KINDS.map((k) => k.replace(/\/(?=[^/]+$)/, ' ')).join(', ')})`,
      });
      return;
    }
    const name = object.metadata?.name;
    if (typeof name !== 'string' || !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(name)) {
      problems.push({ path: `${at}.object.metadata.name`, problem: `${where}: ${object.kind} needs a metadata.name that is a DNS subdomain` });
      return;
    }
    const namespace = object.metadata?.namespace;
    if (namespace !== undefined && namespace !== environment.namespace && resourceInfo(object.apiVersion, object.kind)?.namespaced) {
      problems.push({
        path: `${at}.object.metadata.namespace`,
        problem: `${where}: ${object.kind} ${name} is in namespace ${namespace}, but environment ${environment.name} deploys to ${environment.namespace}`,
      });
    }
    const key = `${environment.name}/${object.kind}/${name}`;
    if (seen.has(key))
      problems.push({ path: `${at}.object.metadata.name`, problem: `${where}: ${object.kind} ${name} appears twice in environment ${environment.name}` });
    seen.add(key);
    if (object.kind === 'Deployment') {
      const containers = podContainers(object as KubeObject);
      if (!containers.length) problems.push({ path: `${at}.object.spec.template.spec.containers`, problem: `${where}: Deployment ${name} has no containers` });
    }
    if (object.kind === 'Service' && environment.canary) {
      const selector = (object.spec as { selector?: Record<string, string> } | undefined)?.selector ?? {};
      if (TRACK_LABEL in selector) {
        problems.push({
          path: `${at}.object.spec.selector`,
          problem: `${where}: Service ${name} selects ${TRACK_LABEL}=${selector[TRACK_LABEL]}, so the canary (${TRACK_LABEL}=canary) would get no traffic; select both tracks`,
        });
      }
    }
  });
  for (const environment of deploy.environments) {
    const documents = manifests.filter((m) => m.environment === environment.name);
    if (documents.length === 0) {
      problems.push({ path: 'manifests', problem: `environment ${environment.name} has no manifests (${deploy.manifests}/${environment.name}/*.yml)` });
      continue;
    }
    const targeted = documents.filter((m) => m.object?.kind === 'Deployment' && imageTargets(m.object, spec).length > 0);
    if (targeted.length === 0) {
      problems.push({
        path: 'manifests',
        problem: `environment ${environment.name}: no Deployment runs the service's image (a container using ${spec.publish.repository}, or named ${spec.service})`,
      });
    } else if (
      (environment.canary || environment.darkLaunch) &&
      !primaryDeployment(
        targeted.map((m) => m.object),
        spec,
      )
    ) {
      problems.push({
        path: 'manifests',
        problem: `environment ${environment.name}: the ${environment.canary ? 'canary' : 'dark launch'} needs one Deployment to copy; name it ${spec.service} or run the image in one Deployment only`,
      });
    }
  }
  return problems;
}

/** The Deployment a canary is made from: the targeted one named after the service, or the only targeted one. */
export function primaryDeployment(deployments: KubeObject[], spec: PipelineSpec): KubeObject | undefined {
  const targeted = deployments.filter((d) => d.kind === 'Deployment' && imageTargets(d, spec).length > 0);
  return targeted.find((d) => d.metadata.name === spec.service) ?? (targeted.length === 1 ? targeted[0] : undefined);
}

/** A prepared environment: objects as they will be applied, in apply order. */
export interface EnvironmentPlan {
  name: string;
  namespace: string;
  approval: EnvironmentSpec['approval'];
  canary?: EnvironmentSpec['canary'];
  timeout?: string;
  /** Mirror a sample of users to a `<primary>-shadow` copy and gate on the comparison, before any user traffic. */
  darkLaunch?: EnvironmentSpec['darkLaunch'];
  /** After the image runs here: the feature's flags stepped up under guardrails (a flag-release step). */
  release?: EnvironmentSpec['release'];
  objects: KubeObject[];
  /** The Deployment the canary (and the dark launch's shadow) copies (name), when the environment has either. */
  primary?: string;
}

/**
 * The environment's objects with the release's image set on the targeted containers (by field,
 * on the parsed objects), the namespace filled in, and the release recorded in annotations.
 * Config objects come first and Deployments last, so pods start with their config present.
 */
export function prepareEnvironment(
  spec: PipelineSpec,
  environment: EnvironmentSpec,
  manifests: ManifestDocument[],
  release: { id: string; version: string; image: string },
): EnvironmentPlan {
  const objects = manifests
    .filter((m) => m.environment === environment.name)
    .map((m) => {
      const object = structuredClone(m.object);
      const info = resourceInfo(object.apiVersion, object.kind);
      if (info?.namespaced) object.metadata.namespace = environment.namespace;
      object.metadata.annotations = { ...(object.metadata.annotations ?? {}), [RELEASE_ANNOTATION]: release.id, [VERSION_ANNOTATION]: release.version };
      const targets = imageTargets(object, spec);
      for (const container of podContainers(object)) if (targets.includes(String(container.name))) container.image = release.image;
      return object;
    });
  objects.sort((a, b) => Number(a.kind === 'Deployment') - Number(b.kind === 'Deployment'));
  const primary = environment.canary || environment.darkLaunch ? primaryDeployment(objects, spec)?.metadata.name : undefined;
  return {
    name: environment.name,
    namespace: environment.namespace,
    approval: environment.approval,
    canary: environment.canary,
    timeout: environment.timeout,
    ...(environment.darkLaunch ? { darkLaunch: environment.darkLaunch } : {}),
    ...(environment.release ? { release: environment.release } : {}),
    objects,
    primary,
  };
}

/**
 * The canary of a Deployment: `<name>-canary`, labelled track=canary in its selector and pod
 * template (so the shared Service, which selects both tracks, sends it its share of traffic).
 */
export function canaryOf(deployment: KubeObject, replicas: number): KubeObject {
  const canary = structuredClone(deployment);
  const spec = (canary.spec ?? {}) as {
    replicas?: number;
    selector?: { matchLabels?: Record<string, string> };
    template?: { metadata?: { labels?: Record<string, string> } };
  };
  canary.metadata = {
    name: `${deployment.metadata.name}-canary`,
    namespace: deployment.metadata.namespace,
    labels: { ...(deployment.metadata.labels ?? {}), [TRACK_LABEL]: 'canary' },
    annotations: { ...(deployment.metadata.annotations ?? {}) },
  };
  spec.replicas = replicas;
  spec.selector = { ...(spec.selector ?? {}), matchLabels: { ...(spec.selector?.matchLabels ?? {}), [TRACK_LABEL]: 'canary' } };
  spec.template = {
    ...(spec.template ?? {}),
    metadata: { ...(spec.template?.metadata ?? {}), labels: { ...(spec.template?.metadata?.labels ?? {}), [TRACK_LABEL]: 'canary' } },
  };
  canary.spec = spec as Record<string, unknown>;
  return canary;
}
