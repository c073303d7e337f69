import { z } from 'zod';
import { namedSchema } from '../http';

export const acceptPolicySchema = namedSchema(
  'AcceptPolicyDto',
  z.strictObject({
    releaseId: z
      .string()
      .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, 'must be a UUID')
      .meta({ description: 'The release whose pipeline file proposes the policy (the one its rollout was refused for)' }),
  }),
);
export type AcceptPolicyDto = z.output<typeof acceptPolicySchema>;
