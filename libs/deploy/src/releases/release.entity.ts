import type { TestSummary } from '../junit/junit-report';
import type { ManifestDocument } from '../rollout/manifest-set';
import type { PipelineSpec, StageName } from '../pipeline/pipeline-spec';

export const RELEASE_STATUSES = ['running', 'succeeded', 'failed', 'abandoned'] as const;
export type ReleaseStatus = (typeof RELEASE_STATUSES)[number];

export const STAGE_STATUSES = ['pending', 'running', 'succeeded', 'failed', 'skipped', 'abandoned'] as const;
export type StageStatus = (typeof STAGE_STATUSES)[number];

/** What a reporter (the CLI) may say about a stage. `pending` and `abandoned` are the server's to set. */
export const REPORTED_STAGE_STATUSES = ['running', 'succeeded', 'failed', 'skipped'] as const;
export type ReportedStageStatus = (typeof REPORTED_STAGE_STATUSES)[number];

export interface StageArtifacts {
  builder?: string;
  /** Image id (config digest) from the build. */
  imageId?: string;
  /** Manifest digest in the builder's local storage. */
  localDigest?: string;
  /** `repository:tag` that was pushed. */
  imageReference?: string;
  /** Manifest digest the registry answered for the push. */
  imageDigest?: string;
}

export interface ReleaseStage {
  name: StageName;
  position: number;
  status: StageStatus;
  startedAt: string | null;
  finishedAt: string | null;
  durationMs: number | null;
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
  failedStage: StageName | null;
  imageReference: string | null;
  imageDigest: string | null;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
  lastReportAt: string;
  finishedAt: string | null;
  pipeline: PipelineSpec | null;
  stages: ReleaseStage[];
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

export interface ReleasePage {
  items: Release[];
  nextCursor: string | null;
}
