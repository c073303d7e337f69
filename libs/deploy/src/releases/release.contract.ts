// A release as the deploy API (/api/v1/releases, /services/{service}/releases) answers it.
// Browser-safe (types and `as const` lists only): the admin UI imports it with `import type`;
// release.entity.ts narrows the one field whose type is the server's own (the pipeline).
import type { TestSummary } from '../junit/test-summary.contract';
import type { StageName } from '../pipeline/pipeline.contract';

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
  /** Absent from list answers (null); GET the release for it. */
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
  /** The validated switchyard.yml the release was created with (libs/deploy PipelineSpec). */
  pipeline: unknown;
  stages: ReleaseStage[];
}

export interface ReleasePage {
  items: Release[];
  nextCursor: string | null;
}
