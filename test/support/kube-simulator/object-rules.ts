import { fromLabelSelector, matchesLabels } from './label-selector';
import type { Json, JsonObject } from './field-ownership';
import type { ResourceType } from './resource-types';

/** A field error, rendered into a 422 Invalid Status the way the API server words them. */
export interface FieldError {
  field: string;
  reason: 'FieldValueRequired' | 'FieldValueInvalid' | 'FieldValueNotSupported';
  message: string;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

const obj = (value: Json | undefined): JsonObject => (typeof value === 'object' && value !== null && !Array.isArray(value) ? value : {});

/** Go's %#v of a map[string]string, which the real messages print. */
function goMap(value: Json | undefined): string {
  const entries = Object.entries(obj(value)).map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(String(v))}`);
  return `map[string]string{${entries.join(', ')}}`;
}

export function validateName(resource: ResourceType, name: string): FieldError | undefined {
  const label = resource.kind === 'Namespace' || resource.kind === 'Service';
  const ok = label ? DNS_LABEL.test(name) && name.length <= 63 : DNS_SUBDOMAIN.test(name) && name.length <= 253;
  if (ok) return undefined;
  const rule = label
    ? "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character"
    : "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
  return { field: 'metadata.name', reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(name)}: ${rule}` };
}

/** What validation the real API server does for these types and a deploy tool can trip over. */
export function validateObject(resource: ResourceType, object: JsonObject, previous?: JsonObject): FieldError[] {
  const errors: FieldError[] = [];
  const spec = obj(object.spec);
  const podSpec = (path: string, template: JsonObject) => {
    const containers = obj(template.spec).containers;
    if (!Array.isArray(containers) || containers.length === 0) {
      errors.push({ field: `${path}.containers`, reason: 'FieldValueRequired', message: 'Required value' });
      return;
    }
    containers.forEach((container, i) => {
      const c = obj(container);
      if (!c.name) errors.push({ field: `${path}.containers[${i}].name`, reason: 'FieldValueRequired', message: 'Required value' });
      if (!c.image) errors.push({ field: `${path}.containers[${i}].image`, reason: 'FieldValueRequired', message: 'Required value' });
    });
  };
  switch (resource.kind) {
    case 'Deployment':
    case 'ReplicaSet': {
      const selector = obj(spec.selector);
      if (!spec.selector) errors.push({ field: 'spec.selector', reason: 'FieldValueRequired', message: 'Required value' });
      const template = obj(spec.template);
      const labels = obj(obj(template.metadata).labels) as Record<string, string>;
      if (spec.selector && !matchesLabels(fromLabelSelector(selector as never), labels)) {
        errors.push({
          field: 'spec.template.metadata.labels',
          reason: 'FieldValueInvalid',
          message: `Invalid value: ${goMap(labels)}: \`selector\` does not match template \`labels\``,
        });
      }
      if (typeof spec.replicas === 'number' && spec.replicas < 0) {
        errors.push({ field: 'spec.replicas', reason: 'FieldValueInvalid', message: `Invalid value: ${spec.replicas}: must be greater than or equal to 0` });
      }
      podSpec('spec.template.spec', template);
      if (previous && JSON.stringify(obj(previous.spec).selector) !== JSON.stringify(spec.selector)) {
        errors.push({
          field: 'spec.selector',
          reason: 'FieldValueInvalid',
          message: `Invalid value: v1.LabelSelector{MatchLabels:${goMap(selector.matchLabels)}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable`,
        });
      }
      break;
    }
    case 'Service': {
      const type = spec.type ?? 'ClusterIP';
      if (type !== 'ExternalName' && (!Array.isArray(spec.ports) || spec.ports.length === 0)) {
        errors.push({ field: 'spec.ports', reason: 'FieldValueRequired', message: 'Required value' });
      }
      if (previous && obj(previous.spec).clusterIP && spec.clusterIP && spec.clusterIP !== obj(previous.spec).clusterIP) {
        errors.push({
          field: 'spec.clusterIPs[0]',
          reason: 'FieldValueInvalid',
          message: `Invalid value: []string{${JSON.stringify(spec.clusterIP)}}: may not change once set`,
        });
      }
      break;
    }
    case 'Pod':
      podSpec('spec', object);
      break;
    default:
      break;
  }
  return errors;
}

let nextClusterIp = 10;

/** The defaults the API server fills in, so a dry-run diff shows only what really changes. */
export function applyDefaults(resource: ResourceType, object: JsonObject, previous?: JsonObject): void {
  const metadata = obj(object.metadata);
  object.metadata = metadata;
  switch (resource.kind) {
    case 'Namespace':
      metadata.labels = { ...obj(metadata.labels), 'kubernetes.io/metadata.name': String(metadata.name) };
      object.spec = { finalizers: ['kubernetes'], ...obj(object.spec) };
      object.status = { phase: 'Active', ...obj(object.status) };
      break;
    case 'Deployment': {
      const spec = obj(object.spec);
      object.spec = spec;
      spec.replicas ??= 1;
      spec.strategy ??= { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } };
      const strategy = obj(spec.strategy);
      if (strategy.type === undefined) strategy.type = 'RollingUpdate';
      if (strategy.type === 'RollingUpdate') strategy.rollingUpdate = { maxUnavailable: '25%', maxSurge: '25%', ...obj(strategy.rollingUpdate) };
      spec.revisionHistoryLimit ??= 10;
      spec.progressDeadlineSeconds ??= 600;
      podTemplateDefaults(obj(spec.template));
      break;
    }
    case 'ReplicaSet': {
      const spec = obj(object.spec);
      object.spec = spec;
      spec.replicas ??= 1;
      podTemplateDefaults(obj(spec.template));
      break;
    }
    case 'Pod':
      podSpecDefaults(object);
      break;
    case 'Service': {
      const spec = obj(object.spec);
      object.spec = spec;
      spec.type ??= 'ClusterIP';
      spec.sessionAffinity ??= 'None';
      if (spec.type !== 'ExternalName') {
        const previousIp = previous ? obj(previous.spec).clusterIP : undefined;
        spec.clusterIP ??= previousIp ?? `10.96.${Math.floor(nextClusterIp / 250)}.${(nextClusterIp++ % 250) + 1}`;
        spec.clusterIPs ??= [spec.clusterIP];
        spec.ipFamilies ??= ['IPv4'];
        spec.ipFamilyPolicy ??= 'SingleStack';
        spec.internalTrafficPolicy ??= 'Cluster';
      }
      if (Array.isArray(spec.ports)) {
        for (const port of spec.ports) {
          const p = obj(port);
          p.protocol ??= 'TCP';
          p.targetPort ??= p.port ?? null;
        }
      }
      object.status ??= { loadBalancer: {} };
      break;
    }
    default:
      break;
  }
}

function podTemplateDefaults(template: JsonObject): void {
  template.metadata ??= {};
  template.spec ??= {};
  podSpecDefaults(template);
}

function podSpecDefaults(holder: JsonObject): void {
  const spec = obj(holder.spec);
  holder.spec = spec;
  spec.restartPolicy ??= 'Always';
  spec.terminationGracePeriodSeconds ??= 30;
  spec.dnsPolicy ??= 'ClusterFirst';
  spec.securityContext ??= {};
  spec.schedulerName ??= 'default-scheduler';
  for (const list of ['containers', 'initContainers']) {
    const containers = spec[list];
    if (!Array.isArray(containers)) continue;
    for (const container of containers) {
      const c = obj(container);
      c.terminationMessagePath ??= '/dev/termination-log';
      c.terminationMessagePolicy ??= 'File';
      c.imagePullPolicy ??= pullPolicyFor(String(c.image ?? ''));
      c.resources ??= {};
      if (Array.isArray(c.ports)) for (const port of c.ports) obj(port).protocol ??= 'TCP';
    }
  }
}

/** `:latest` or no tag means Always; a tag or digest means IfNotPresent. */
function pullPolicyFor(image: string): string {
  if (image.includes('@')) return 'IfNotPresent';
  const lastSegment = image.slice(image.lastIndexOf('/') + 1);
  const tag = lastSegment.includes(':') ? lastSegment.slice(lastSegment.indexOf(':') + 1) : '';
  return tag === '' || tag === 'latest' ? 'Always' : 'IfNotPresent';
}
