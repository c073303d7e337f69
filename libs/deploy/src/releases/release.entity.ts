import type { TestSummary } from '../junit/junit-report';
import type { ManifestDocument } from '../kubernetes/manifest-set';
import type { PipelineSpec } from '../pipeline/pipeline-spec';
import type {
  Release as ReleaseContract,
  ReleasePage as ReleasePageContract,
  ReleaseStatus,
  ReportedStageStatus,
  StageArtifacts,
} from './release.contract';

export {
  RELEASE_STATUSES,
  REPORTED_STAGE_STATUSES,
  STAGE_STATUSES,
  type ReleaseStage,
  type ReleaseStatus,
  type ReportedStageStatus,
  type StageArtifacts,
  type StageStatus,
} from './release.contract';

/** The wire shape (release.contract), with the pipeline typed as the server holds it. */
export interface Release extends ReleaseContract {
  pipeline: PipelineSpec | null;
}

export interface NewRelease {
  service: string;
  version: string;
  gitSha?: string;
  branch?: string;
  buildNumber?: string;
  pipeline?: PipelineSpec;
  /** The `deploy/<environment>/*.yml` objects, for the rollout after publish. */
  manifests?: ManifestDocument[];
}

export interface StageReport {
  status: ReportedStageStatus;
  logTail?: string;
  error?: string;
  testSummary?: TestSummary;
  artifacts?: StageArtifacts;
}

export interface ReleaseFilter {
  service?: string;
  status?: ReleaseStatus;
  branch?: string;
  gitSha?: string;
  limit: number;
  cursor?: string;
}

export interface ReleasePage extends ReleasePageContract {
  items: Release[];
}
