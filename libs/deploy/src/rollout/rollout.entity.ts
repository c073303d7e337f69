import type { KubeObject } from '../kubernetes/kube-resources';
import type { EnvironmentPlan } from '../kubernetes/manifest-set';
import type { RecordedObject } from './recorded-object';
import type { EnvironmentDeployment as EnvironmentDeploymentContract, Rollout as RolloutContract, RolloutStatus } from './rollout.contract';

export {
  ROLLOUT_STATUSES,
  STEP_KINDS,
  type RolloutDecision,
  type RolloutKind,
  type RolloutMeasurements,
  type RolloutStatus,
  type RolloutStep,
  type StepKind,
  type StepStatus,
} from './rollout.contract';

export const ACTIVE_ROLLOUT_STATUSES: readonly RolloutStatus[] = ['running', 'waiting'];

/** What a rollout deploys, frozen when it starts. */
export interface RolloutPlan {
  environments: EnvironmentPlan[];
  /** For a rollback: the environment and the history entry it restores. */
  rollback?: { environment: string; namespace: string; target: EnvironmentDeployment };
}

/** The wire shape (rollout.contract), with the frozen plan typed as the server holds it. */
export interface Rollout extends RolloutContract {
  plan: RolloutPlan;
}

/** The wire shape (rollout.contract), with the applied objects typed as the server holds them. */
export interface EnvironmentDeployment extends EnvironmentDeploymentContract {
  workloads: KubeObject[];
  objects?: RecordedObject[];
}

export interface EnvironmentView {
  service: string;
  environment: string;
  namespace: string | null;
  current: EnvironmentDeployment | null;
  /** Newest first, the current one included. */
  history: Array<Omit<EnvironmentDeployment, 'workloads' | 'objects'>>;
  activeRollout: Pick<Rollout, 'id' | 'kind' | 'releaseId' | 'version' | 'status' | 'currentStep'> | null;
}
