// Shapes of the deploy and dark-launch API (/api/v1/releases, /rollouts, /services/…/environments,
// /mirror) as the UI reads them. They mirror libs/deploy (release.entity, rollout.entity,
// canary-analysis) and libs/mirror (mirror-report), which the browser bundle cannot import.

export const RELEASE_STATUSES = ['running', 'succeeded', 'failed', 'abandoned'] as const;
export type ReleaseStatus = (typeof RELEASE_STATUSES)[number];
export type StageStatus = 'pending' | 'running' | 'succeeded' | 'failed' | 'skipped' | 'abandoned';

export interface FailedCase {
  name: string;
  classname?: string;
  suite?: string;
  kind: 'failure' | 'error';
  message?: string;
  type?: string;
  detail?: string;
}

export interface TestSummary {
  tests: number;
  passed: number;
  failures: number;
  errors: number;
  skipped: number;
  timeSeconds: number;
  failedCases: FailedCase[];
}

export interface StageArtifacts {
  builder?: string;
  imageId?: string;
  localDigest?: string;
  imageReference?: string;
  imageDigest?: string;
}

export interface ReleaseStage {
  name: string;
  position: number;
  status: StageStatus;
  startedAt: string | null;
  finishedAt: string | null;
  durationMs: number | null;
  /** Absent from list answers; GET the release for it. */
  logTail: string | null;
  error: string | null;
  testSummary: TestSummary | null;
  artifacts: StageArtifacts | null;
}

export interface Release {
  id: string;
  service: string;
  version: string;
  gitSha: string | null;
  branch: string | null;
  buildNumber: string | null;
  status: ReleaseStatus;
  failedStage: string | null;
  imageReference: string | null;
  imageDigest: string | null;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
  lastReportAt: string;
  finishedAt: string | null;
  stages: ReleaseStage[];
}

export interface ReleasePage {
  items: Release[];
  nextCursor: string | null;
}

export type RolloutStatus = 'running' | 'waiting' | 'succeeded' | 'failed' | 'aborted' | 'superseded';
export type StepStatus = 'pending' | 'running' | 'waiting' | 'succeeded' | 'failed' | 'skipped' | 'aborted';
export type StepKind = 'deploy' | 'gate' | 'dark-launch' | 'canary' | 'analysis' | 'promote' | 'flag-release' | 'rollback';

export interface RolloutStep {
  kind: StepKind;
  environment: string;
  status: StepStatus;
  startedAt: string | null;
  finishedAt: string | null;
  durationMs: number | null;
  message: string | null;
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

export interface MeasurementThreshold {
  max?: number;
  min?: number;
  maxRatio?: number;
  minSamples: number;
}

export interface AnalysisVerdict {
  verdict: 'Successful' | 'Failed' | 'Inconclusive';
  metric?: string;
  query?: string;
  values?: { canary: number | null; stable: number | null; samples: number | null };
  threshold?: MeasurementThreshold;
  reason: string;
  iterations: number;
  failures: number;
  inconclusive: number;
}

export interface PlannedMetric {
  name: string;
  query: string;
  max?: number;
  min?: number;
  compare?: { to: 'stable'; maxRatio: number };
}

/** What an approver is shown at a gate: the server's dry run of the environment (libs/deploy rollout-planner). */
export interface GatePlan {
  environment: string;
  namespace: string;
  namespaceExists: boolean;
  canary: {
    deployment: string;
    replicas: number;
    analysis: { interval: string; iterations: number; minSamples: number; failureLimit: number; metrics: PlannedMetric[] };
    skipped?: string;
    warning?: string;
  } | null;
  objects: Array<{
    kind: string;
    name: string;
    action: 'create' | 'update' | 'unchanged';
    changes: Array<{ path: string; before: unknown; after: unknown }>;
    error?: string;
  }>;
}

export interface Rollout {
  id: string;
  kind: 'release' | 'rollback';
  releaseId: string;
  service: string;
  version: string;
  image: string;
  imageDigest: string | null;
  status: RolloutStatus;
  currentStep: number;
  steps: RolloutStep[];
  /** `plan` is a GatePlan at an approval gate, null when the dry run failed. */
  gate: { environment: string; step: StepKind; kind: 'approval' | 'inconclusive'; since: string | null; plan: unknown } | null;
  verdict: AnalysisVerdict | null;
  error: string | null;
  decisions: RolloutDecision[];
  abortRequested: { actor: string; comment: string; at: string } | null;
  createdBy: string;
  reason: string | null;
  createdAt: string;
  finishedAt: string | null;
}

export interface Measurement {
  iteration: number;
  metric: string;
  query: string;
  canary: number | null;
  stable: number | null;
  samples: number | null;
  threshold: MeasurementThreshold;
  outcome: 'successful' | 'failed' | 'inconclusive';
  reason: string;
  measuredAt: string;
}

export interface RolloutMeasurements {
  rolloutId: string;
  environments: Array<{ environment: string; measurements: Measurement[] }>;
}

export interface EnvironmentDeployment {
  id: string;
  environment: string;
  kind: 'release' | 'rollback';
  releaseId: string;
  version: string;
  image: string;
  imageDigest: string | null;
  deployedBy: string;
  reason: string | null;
  deployedAt: string;
}

export interface ServiceEnvironment {
  environment: string;
  current: EnvironmentDeployment | null;
}

// Dark launch (mirror)

export type MirrorVerdict = 'pass' | 'fail' | 'insufficient-data';

export interface MirrorRouteView {
  name: string;
  version: number;
  route: { name: string; primary: string; candidate: string; match?: { host?: string; pathPrefix?: string }; sample?: { percent?: number } };
  createdBy: string;
  updatedBy: string;
  createdAt: string;
  updatedAt: string;
}

export interface MirrorRouteList {
  revision: number;
  items: MirrorRouteView[];
}

export interface ExampleResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface FieldExample {
  at: string;
  request: { method: string; url: string; headers: Record<string, string> };
  path: string;
  kind: string;
  primary?: unknown;
  candidate?: unknown;
  responses: { primary: ExampleResponse; candidate: ExampleResponse };
}

export interface FieldReport {
  field: string;
  kinds: Record<string, number>;
  raw: number;
  noise: number;
  significant: boolean;
  examples: FieldExample[];
}

export interface LatencySummary {
  count: number;
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

/** Why a request that matched a route was not compared (libs/mirror `SkipReason`). */
export const SKIP_REASONS = ['method', 'bodyTooLarge', 'budget', 'overload', 'breaker', 'candidateTimeout', 'candidateError', 'primaryIncomplete'] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];

export interface EndpointReport {
  endpoint: string;
  seen: number;
  sampled: number;
  compared: number;
  /** Exchanges that also produced a baseline pair (secondary or calibration). */
  noiseCompared: number;
  skipped: Record<SkipReason, number>;
  mismatched: { raw: number; afterNoise: number };
  mismatchRate: { raw: number; afterNoise: number };
  fields: FieldReport[];
  statusMatrix: Record<string, Record<string, number>>;
  latencyMs: { primary: LatencySummary; candidate: LatencySummary; difference: LatencySummary };
  verdict: MirrorVerdict;
}

/** A compare rule the live version itself suggests: two primary responses differ in this field. */
export interface SuggestedIgnore {
  rule: string;
  endpoints: string[];
  evidence: { differing: number; baselinePairs: number; rate: number; examples: { primary?: unknown; other?: unknown }[] };
}

export interface BreakerReport {
  state: 'closed' | 'open' | 'half-open';
  opens: number;
  lastOpenedAt?: string;
  reason?: string;
}

export type NoiseSource = 'secondary' | 'calibration';

export interface RouteReport {
  route: string;
  since: string;
  noiseSource: NoiseSource;
  verdict: MirrorVerdict;
  thresholds: { minCompared: number; maxMismatchPercent: number; noise: { relativePercent: number; absolutePercent: number } };
  breaker?: BreakerReport;
  totals: {
    seen: number;
    sampled: number;
    compared: number;
    skipped: Record<SkipReason, number>;
    mismatched: { raw: number; afterNoise: number };
    mismatchRate: { raw: number; afterNoise: number };
  };
  suggestedIgnores: SuggestedIgnore[];
  endpoints: EndpointReport[];
}

export interface MirrorReport {
  generatedAt: string;
  routes: RouteReport[];
}

// Release policy (/api/v1/services/{service}/policy), as libs/deploy release-policy.ts keeps it.

export interface EnvironmentPolicy {
  namespace: string;
  approval: 'required' | 'none';
  /** Whoever started the release may not approve it; false opts the environment out. */
  fourEyes: boolean;
}

export interface ReleasePolicy {
  environments: Record<string, EnvironmentPolicy>;
  repositories: string[];
}

export interface StoredPolicy {
  service: string;
  version: number;
  policy: ReleasePolicy;
  updatedBy: string;
  updatedAt: string;
}
