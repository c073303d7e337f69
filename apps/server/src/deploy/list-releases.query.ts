import { z } from 'zod';
import { RELEASE_STATUSES } from '@switchyard/deploy';
import { oneOf, pageCursor, pageLimit } from '../request-fields';
import { SERVICE_NAME } from './service-name.pipe';

export const listReleasesQuery = z.strictObject({
  status: oneOf(RELEASE_STATUSES).optional(),
  branch: z.string().max(255).optional().meta({ example: 'main' }),
  gitSha: z
    .string()
    .regex(/^[0-9a-f]{4,64}$/, 'must be a hexadecimal git commit id or prefix')
    .optional()
    .meta({ description: 'A git commit id or its prefix' }),
  cursor: pageCursor().optional(),
  limit: pageLimit(100, 20),
});
export type ListReleasesQuery = z.output<typeof listReleasesQuery>;

export const listAllReleasesQuery = listReleasesQuery.extend({
  service: z.string().regex(SERVICE_NAME, 'must be a service name (a DNS label)').optional().meta({ example: 'market-data' }),
});
export type ListAllReleasesQuery = z.output<typeof listAllReleasesQuery>;
