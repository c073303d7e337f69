import { z } from 'zod';
import { REPORTED_STAGE_STATUSES } from '@switchyard/deploy';
import { namedSchema } from '../http';
import { oneOf } from '../request-fields';

const count = () => z.number().int().min(0);

export const failedCaseSchema = namedSchema(
  'FailedCaseDto',
  z.strictObject({
    name: z.string().max(1000),
    classname: z.string().max(1000).optional(),
    suite: z.string().max(1000).optional(),
    kind: oneOf(['failure', 'error']),
    message: z.string().max(4000).optional(),
    type: z.string().max(1000).optional(),
    detail: z.string().max(8000).optional(),
  }),
);

export const testSummarySchema = namedSchema(
  'TestSummaryDto',
  z.strictObject({
    tests: count(),
    passed: count(),
    failures: count(),
    errors: count(),
    skipped: count(),
    timeSeconds: z.number().min(0),
    failedCases: z.array(failedCaseSchema).max(200, 'must have at most 200 items'),
  }),
);

const DIGEST = /^sha256:[0-9a-f]{64}$/;
const digest = () => z.string().regex(DIGEST, 'must be a sha256 digest').optional();

export const stageArtifactsSchema = namedSchema(
  'StageArtifactsDto',
  z.strictObject({
    builder: oneOf(['buildah', 'docker']).optional().meta({ example: 'buildah' }),
    imageId: digest(),
    localDigest: digest(),
    imageReference: z.string().max(512).optional().meta({ example: '127.0.0.1:5000/team/market-data:main.42' }),
    imageDigest: digest(),
  }),
);

/** A stage report from CI. Sending the same report twice is harmless. */
export const reportStageSchema = namedSchema(
  'ReportStageDto',
  z.strictObject({
    status: oneOf(REPORTED_STAGE_STATUSES),
    logTail: z.string().max(65_536).optional().meta({ description: 'The end of the stage output (at most 64 KiB)' }),
    error: z.string().max(4000).optional().meta({ description: 'Why the stage failed' }),
    testSummary: testSummarySchema.optional(),
    artifacts: stageArtifactsSchema.optional(),
  }),
);
export type ReportStageDto = z.output<typeof reportStageSchema>;
