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
export { computeTag, registryHost, repositoryPath, isLoopbackRegistry } from './registry/image-reference';
// Running a release in CI
export {
  ReleaseRunner,
  type ReleaseReporter,
  type ReleaseRunObserver,
  type ReleaseRunOptions,
  type ReleaseRunResult,
  type StageOutcome,
} from './runner/release-runner';
export { runCommand, captureCommand, stopRunningCommands, LogTail } from './runner/command-runner';
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
