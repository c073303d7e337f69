import type { KubeMetadata, KubeObject } from '../kubernetes/kube-resources';
import { redactSecret } from '../kubernetes/object-diff';
import type { EnvironmentPlan } from '../kubernetes/manifest-set';
import type { RecordedObject, SecretReference } from './recorded-object';
import type { Rollout, RolloutPlan } from './rollout.entity';

export function isSecretReference(object: RecordedObject): object is SecretReference {
  return object.kind === 'Secret' && typeof (object as Partial<SecretReference>).valuesFrom === 'object';
}

/** What a rollout applied to one environment, for its history: every object, Secrets as references to this rollout's plan. */
export function recordedObjects(rollout: Pick<Rollout, 'id'>, environment: EnvironmentPlan): RecordedObject[] {
  return environment.objects.map((object) => {
    if (object.kind !== 'Secret') return object;
    const reference: SecretReference = {
      apiVersion: object.apiVersion,
      kind: 'Secret',
      metadata: referenceMetadata(object.metadata),
      valuesFrom: { rolloutId: rollout.id, environment: environment.name },
      keys: secretKeys(object),
    };
    if (typeof object.type === 'string') reference.type = object.type;
    return reference;
  });
}

/** `v1/ConfigMap/settings`: the same object across releases of one environment (one namespace). */
export function objectKey(object: Pick<KubeObject, 'apiVersion' | 'kind' | 'metadata'>): string {
  return `${object.apiVersion}/${object.kind}/${object.metadata.name}`;
}

/**
 * A rollout as the API shows it: the Secrets in its plan with every value replaced by a keyed hash
 * (keys kept). The stored plan keeps the values, because the rollout and later rollbacks apply them.
 */
export function withoutSecretValues(rollout: Rollout): Rollout {
  const hasSecret = (objects: readonly { kind: string }[] | undefined) => objects?.some((o) => o.kind === 'Secret') ?? false;
  if (!rollout.plan.environments.some((e) => hasSecret(e.objects)) && !hasSecret(rollout.plan.rollback?.target.objects)) return rollout;
  const plan: RolloutPlan = {
    ...rollout.plan,
    environments: rollout.plan.environments.map((e) => ({ ...e, objects: e.objects.map((o) => redactSecret(o)) })),
  };
  if (rollout.plan.rollback) {
    const target = rollout.plan.rollback.target;
    // History holds Secret references only; redacting again is for rows someone wrote by hand.
    plan.rollback = { ...rollout.plan.rollback, target: { ...target, ...(target.objects ? { objects: target.objects.map((o) => redactSecret(o)) } : {}) } };
  }
  return { ...rollout, plan };
}

// A manifest exported with `kubectl get -o yaml` carries its last apply, values included, in this annotation.
const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

function referenceMetadata(metadata: KubeMetadata): KubeMetadata {
  if (!metadata.annotations || !(LAST_APPLIED in metadata.annotations)) return metadata;
  const { [LAST_APPLIED]: _values, ...annotations } = metadata.annotations;
  return { ...metadata, annotations };
}

function secretKeys(secret: KubeObject): string[] {
  const keys = new Set<string>();
  for (const field of ['data', 'stringData']) {
    const values = secret[field];
    if (values && typeof values === 'object') for (const key of Object.keys(values)) keys.add(key);
  }
  return [...keys].sort();
}
