import { z } from 'zod';
import { ROLLOUT_STATUSES, type RolloutStatus } from '@switchyard/deploy';
import { namedSchema } from '../http';
import { pageLimit, trueOrFalse } from '../request-fields';
import { SERVICE_NAME } from './service-name.pipe';

const ENVIRONMENT_NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const RELEASE_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Why a decision was made: required, since it is what the audit trail keeps. */
const reason = (example: string) =>
  z
    .string({ error: (issue) => (issue.input === undefined ? 'must say why' : 'must be a string') })
    .min(1, 'must say why')
    .max(2000)
    .meta({ example });

export const startRolloutSchema = namedSchema(
  'StartRolloutDto',
  z.strictObject({
    supersede: trueOrFalse()
      .optional()
      .meta({ default: false, description: "Abort the rollouts holding this service's environments instead of answering 409" }),
  }),
);
export type StartRolloutDto = z.output<typeof startRolloutSchema>;

/** An approval or an abort: who decided is the caller; why is the comment, kept in the audit trail. */
export const gateDecisionSchema = namedSchema('GateDecisionDto', z.strictObject({ comment: reason('staging looks good; error budget is fine') }));
export type GateDecisionDto = z.output<typeof gateDecisionSchema>;

export const planReleaseSchema = namedSchema(
  'PlanReleaseDto',
  z.strictObject({
    environment: z
      .string()
      .regex(ENVIRONMENT_NAME, 'must be an environment name (a DNS label)')
      .optional()
      .meta({ example: 'production', description: 'One environment; default: every environment of the pipeline' }),
  }),
);
export type PlanReleaseDto = z.output<typeof planReleaseSchema>;

export const rollbackEnvironmentSchema = namedSchema(
  'RollbackEnvironmentDto',
  z.strictObject({
    reason: reason('p99 latency doubled after main.42'),
    toRelease: z
      .string()
      .regex(RELEASE_ID, 'must be a release id')
      .optional()
      .meta({ description: "A release from the environment's history; default: the previous successful one" }),
    supersede: trueOrFalse().optional().meta({ default: false, description: 'Abort a rollout holding the environment instead of answering 409' }),
  }),
);
export type RollbackEnvironmentDto = z.output<typeof rollbackEnvironmentSchema>;

export const listRolloutsQuery = z.strictObject({
  service: z.string().regex(SERVICE_NAME, 'must be a service name (a DNS label)').optional().meta({ example: 'market-data' }),
  // `running,waiting` or a repeated parameter (`status=running&status=waiting`).
  status: z
    .custom<string | string[]>()
    .transform((value, ctx) => {
      const statuses: unknown[] = typeof value === 'string' ? value.split(',').filter(Boolean) : Array.isArray(value) ? value : [value];
      if (statuses.every((status) => (ROLLOUT_STATUSES as readonly unknown[]).includes(status))) return statuses as RolloutStatus[];
      ctx.addIssue({ code: 'custom', message: `each value must be one of ${ROLLOUT_STATUSES.join(', ')}` });
      return z.NEVER;
    })
    .optional()
    .meta({ description: 'Comma-separated statuses', type: 'array', items: { type: 'string' } }),
  limit: pageLimit(100, 20),
});
export type ListRolloutsQuery = z.output<typeof listRolloutsQuery>;
