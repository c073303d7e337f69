import type { AnalysisVerdict, Measurement } from '../analysis/canary-analysis';
import type { KubeObject } from '../kubernetes/kube-resources';
import type { EnvironmentPlan } from './manifest-set';
import type { RecordedObject } from './release-objects';

export const ROLLOUT_STATUSES = ['running', 'waiting', 'succeeded', 'failed', 'aborted', 'superseded'] as const;
export type RolloutStatus = (typeof ROLLOUT_STATUSES)[number];
export const ACTIVE_ROLLOUT_STATUSES: readonly RolloutStatus[] = ['running', 'waiting'];

export type RolloutKind = 'release' | 'rollback';

/**
 * One step of a rollout. `deploy` applies an environment and waits; `gate` waits for a person;
 * `canary` deploys `<name>-canary`; `analysis` measures it; `promote` updates the stable
 * Deployment and removes the canary; `flag-release` steps the feature's flags up under guardrails
 * once the image runs; `rollback` restores the previous release (appended when one happens).
 */
export const STEP_KINDS = ['deploy', 'gate', 'dark-launch', 'canary', 'analysis', 'promote', 'flag-release', 'rollback'] as const;
export type StepKind = (typeof STEP_KINDS)[number];
export type StepStatus = 'pending' | 'running' | 'waiting' | 'succeeded' | 'failed' | 'skipped' | 'aborted';

export interface RolloutStep {
  kind: StepKind;
  environment: string;
  status: StepStatus;
  startedAt: string | null;
  finishedAt: string | null;
  durationMs: number | null;
  /** The latest progress line, or how the step ended. */
  message: string | null;
  /** Step-specific record: applied objects, the plan shown at a gate, a verdict, a rollback's source. */
  detail: Record<string, unknown> | null;
}

export interface RolloutDecision {
  action: 'approve' | 'abort';
  actor: string;
  comment: string;
  environment: string;
  step: StepKind;
  at: string;
}

/** What a rollout deploys, frozen when it starts. */
export interface RolloutPlan {
  environments: EnvironmentPlan[];
  /** For a rollback: the environment and the history entry it restores. */
  rollback?: { environment: string; namespace: string; target: EnvironmentDeployment };
}

export interface Rollout {
  id: string;
  kind: RolloutKind;
  releaseId: string;
  service: string;
  version: string;
  image: string;
  imageDigest: string | null;
  status: RolloutStatus;
  currentStep: number;
  steps: RolloutStep[];
  /** While waiting: which gate, since when, and what the approver is asked to approve. */
  gate: { environment: string; step: StepKind; kind: 'approval' | 'inconclusive'; since: string | null; plan: unknown } | null;
  verdict: AnalysisVerdict | null;
  error: string | null;
  decisions: RolloutDecision[];
  abortRequested: { actor: string; comment: string; at: string } | null;
  cleanupPending: boolean;
  supersededBy: string | null;
  createdBy: string;
  reason: string | null;
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
  plan: RolloutPlan;
}

/** What ran in an environment after a successful deploy or rollback: the history a rollback restores from. */
export interface EnvironmentDeployment {
  id: string;
  service: string;
  environment: string;
  namespace: string;
  kind: RolloutKind;
  releaseId: string;
  rolloutId: string | null;
  version: string;
  image: string;
  imageDigest: string | null;
  /** The Deployments as applied (with their pod templates). */
  workloads: KubeObject[];
  /**
   * Every object the release applied here, in apply order (Secrets as references, never values):
   * what a rollback to this entry re-applies, and what tells it which newer objects to delete.
   * Absent on entries recorded before it existed: those roll back their Deployments only.
   */
  objects?: RecordedObject[];
  deployedBy: string;
  reason: string | null;
  deployedAt: string;
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

export interface RolloutMeasurements {
  rolloutId: string;
  environments: Array<{ environment: string; measurements: Measurement[] }>;
}
