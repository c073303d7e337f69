// Pipeline file
export { loadPipelineFile, parsePipelineText, PIPELINE_FILE_NAME, type PipelineFile } from './pipeline/pipeline-file';
export { checkPipelineSchema, PIPELINE_SCHEMA } from './pipeline/pipeline-schema';
export {
  PipelineFileError,
  formatProblem,
  STAGE_NAMES,
  type PipelineSpec,
  type PipelineProblem,
  type StageName,
  type BuildSpec,
  type TestSpec,
  type PublishSpec,
  type DeploySpec,
  type EnvironmentSpec,
  type CanarySpec,
  type AnalysisSpec,
  type MetricSpec,
  type DarkLaunchSpec,
  type FlagReleaseSpec,
  type GuardrailSpec,
} from './pipeline/pipeline-spec';
// Test results
export { parseJUnitXml, JUnitParseError, type TestSummary, type FailedCase } from './junit/junit-report';
// Builders and registry
export { BuildahBuilder, type BuildahOptions } from './builders/buildah-builder';
export { DockerBuilder } from './builders/docker-builder';
export { selectBuilder, buildahDefaultsForHost, BuilderUnavailableError, type BuilderSelection } from './builders/builder-selection';
export {
  BuilderError,
  BUILDER_NAMES,
  type BuilderName,
  type ImageBuilder,
  type BuiltImage,
  type PushedImage,
  type RegistryCredentials,
} from './builders/image-builder';
export { RegistryPublisher, registryCredentialsFrom, RegistryCredentialsError } from './registry/registry-publisher';
export { computeTag, registryHost, repositoryPath, isLoopbackRegistry } from './builders/image-reference';
// Running a release in CI
export {
  ReleaseRunner,
  type ReleaseReporter,
  type ReleaseRunObserver,
  type ReleaseRunOptions,
  type ReleaseRunResult,
  type StageOutcome,
} from './runner/release-runner';
export { runCommand, captureCommand, stopRunningCommands, LogTail } from './builders/command-runner';
// The release record (server)
export { DeployModule } from './deploy.module';
export { ReleasesService, ABANDON_ACTOR } from './releases/releases.service';
export {
  RELEASE_STATUSES,
  STAGE_STATUSES,
  REPORTED_STAGE_STATUSES,
  type Release,
  type ReleaseStage,
  type ReleaseStatus,
  type StageStatus,
  type ReportedStageStatus,
  type StageReport,
  type StageArtifacts,
  type NewRelease,
  type ReleaseFilter,
  type ReleasePage,
} from './releases/release.entity';
// Rollouts to Kubernetes (server)
export { RolloutsService, type StartOptions, type RollbackRequest, type ReleasePlan } from './rollout/rollouts.service';
export { RolloutEngine, ROLLOUT_ACTOR } from './rollout/rollout.engine';
export { RolloutDriver } from './rollout/rollout.driver';
export { ReleaseAbandonSweeper } from './rollout/release-abandon.sweeper';
export { StepHandlerRegistry, type StepHandler, type StepContext, type StepResult } from './rollout/step-handler';
export { type FlagReleaseDetail } from './rollout/steps/flag-release.step';
export {
  MIRROR_CONTROL,
  ReplayRefusal,
  type MirrorControl,
  type MirrorChangeContext,
  type EnsureRouteInput,
  type CaptureReplayInput,
  type CaptureReplaySummary,
} from './rollout/steps/mirror-control';
export { RolloutsRepository } from './rollout/rollouts.repository';
export { RolloutSignals, type RolloutSignal } from './rollout/rollout-signals';
export { type EnvironmentPreview, type ObjectPlan } from './rollout/rollout-planner';
export {
  ROLLOUT_STATUSES,
  ACTIVE_ROLLOUT_STATUSES,
  STEP_KINDS,
  type Rollout,
  type RolloutStatus,
  type RolloutKind,
  type RolloutStep,
  type StepKind,
  type StepStatus,
  type RolloutDecision,
  type RolloutPlan,
  type EnvironmentDeployment,
  type EnvironmentView,
  type RolloutMeasurements,
} from './rollout/rollout.entity';
export {
  loadManifests,
  checkManifests,
  prepareEnvironment,
  canaryOf,
  imageRepository,
  imageTargets,
  ManifestError,
  RELEASE_ANNOTATION,
  VERSION_ANNOTATION,
  type ManifestDocument,
  type ManifestProblem,
  type EnvironmentPlan,
} from './kubernetes/manifest-set';
export { ClusterAccess, NotConfiguredError, type ClusterState } from './kubernetes/cluster-access';
export { KubeClient, KubeApiError, FIELD_MANAGER, type KubeList, type WatchEvent } from './kubernetes/kube-client';
export { resolveKubeTarget, loadKubeconfig, inClusterTarget, KubeConfigError, type KubeTarget, type KubeAccess } from './kubernetes/kube-config';
export { resourcePath, type KubeObject, type ObjectRef } from './kubernetes/kube-resources';
export { waitForRollout, type WaitOutcome } from './kubernetes/rollout-waiter';
export { deploymentRolloutState, failingPods, type RolloutState } from './kubernetes/deployment-status';
export { diffObjects, redactSecret, secretValueHash, type FieldChange } from './kubernetes/object-diff';
// Canary analysis
export { PrometheusClient, PrometheusError, type QueryValue } from './analysis/prometheus.client';
export {
  decideVerdict,
  judge,
  renderQuery,
  VERDICTS,
  DEFAULT_SAMPLES_QUERY,
  type Verdict,
  type Measurement,
  type AnalysisVerdict,
} from './analysis/canary-analysis';
// Release policy (server)
export { ReleasePoliciesService } from './releases/release-policies.service';
export {
  parsePolicy,
  policyFromPipeline,
  pipelineShortfalls,
  imageShortfalls,
  PolicyViolationError,
  PolicyRequiredError,
  ImageRefusedError,
  FourEyesError,
  type ReleasePolicy,
  type EnvironmentPolicy,
  type StoredPolicy,
} from './policy/release-policy';
export { ManifestResolver, type ManifestLookup } from './registry/manifest-resolver';
// Notifications
export { WebhookNotifier, ROLLOUT_EVENTS, type RolloutEvent, type RolloutNotification, type ChangeRequestNotification } from './webhooks/webhook.notifier';
