import type { KubeMetadata, KubeObject } from '../kubernetes/kube-resources';

/**
 * A Secret as an environment's history records it: which object it was and where its values are,
 * never the values. The values stay in the frozen plan of the rollout that first applied them (a
 * plan is written once, when the rollout starts, and never changed), so a rollback re-applies
 * exactly what that release applied, and the history table holds no second copy of any secret.
 */
export interface SecretReference {
  apiVersion: string;
  kind: 'Secret';
  metadata: KubeMetadata;
  type?: string;
  /** The rollout whose plan holds the values, and the environment of that plan. */
  valuesFrom: { rolloutId: string; environment: string };
  /** Key names only (data and stringData), so a reader sees what the Secret carries. */
  keys: string[];
}

/** One object a release applied to an environment, as its history records it. */
export type RecordedObject = KubeObject | SecretReference;
