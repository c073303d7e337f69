// A rollout as the deploy API (/api/v1/rollouts, /releases/{id}/rollout, /services/{service}/
// environments) answers it, and the plan an approver is shown at a gate. Browser-safe (types and
// `as const` lists only): the admin UI imports it with `import type`; rollout.entity.ts narrows the
// fields whose types are the server's own (the frozen plan, the applied Kubernetes objects).
import type { AnalysisVerdict, Measurement } from '../analysis/analysis.contract';
import type { FieldChange } from '../kubernetes/object-diff.contract';
import type { AnalysisSpec } from '../pipeline/pipeline.contract';

export const ROLLOUT_STATUSES = ['running', 'waiting', 'succeeded', 'failed', 'aborted', 'superseded'] as const;
export type RolloutStatus = (typeof ROLLOUT_STATUSES)[number];

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
  /**
   * While waiting: which gate, since when, and what the approver is asked to approve (`plan` is an
   * EnvironmentPreview at an approval gate, null when the dry run failed).
   */
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
  /** What the rollout deploys, frozen when it starts (libs/deploy RolloutPlan). */
  plan: unknown;
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
  workloads: unknown[];
  /**
   * Every object the release applied here, in apply order (Secrets as references, never values):
   * what a rollback to this entry re-applies, and what tells it which newer objects to delete.
   * Absent on entries recorded before it existed: those roll back their Deployments only.
   */
  objects?: unknown[];
  deployedBy: string;
  reason: string | null;
  deployedAt: string;
}

/** One item of GET /api/v1/services/{service}/environments. */
export interface ServiceEnvironment {
  environment: string;
  current: Omit<EnvironmentDeployment, 'workloads'> | null;
}

export interface RolloutMeasurements {
  rolloutId: string;
  environments: Array<{ environment: string; measurements: Measurement[] }>;
}

export interface ObjectPlan {
  kind: string;
  name: string;
  namespace: string | null;
  /** `create` when it does not exist, `update` when the apply changes fields, `unchanged` otherwise. */
  action: 'create' | 'update' | 'unchanged';
  changes: FieldChange[];
  /** Set when the server refused the dry run (e.g. an immutable field): the real apply would fail too. */
  error?: string;
}

/** The server's dry run of one environment: `POST /releases/{id}/plan`, and a gate's `plan`. */
export interface EnvironmentPreview {
  environment: string;
  namespace: string;
  namespaceExists: boolean;
  approval: 'required' | 'none';
  /** What the canary step creates and the analysis it runs, when the environment has one. */
  canary: { deployment: string; replicas: number; analysis: AnalysisSpec; skipped?: string; warning?: string } | null;
  objects: ObjectPlan[];
}
