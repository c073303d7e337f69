import { z } from 'zod';
import { BROWSER_ORIGIN, MAX_ALLOWED_ORIGINS } from '../client-access/client-origins';
import { FLAG_FILTER } from '../client-access/client-flag-filter';
import { namedSchema } from '../http';
import { printable } from '../request-fields';

const SCOPE =
  /^(admin|flags:write|flags:read|deploy|deploy:read|approve|mirror:write|mirror:read|sdk:[a-z0-9][a-z0-9_-]{0,63}|mirror:report:(\*|[a-z0-9][a-z0-9._-]{0,62})|client:[a-z0-9][a-z0-9_-]{0,63}|(flags:write|flags:read|approve):[a-z0-9][a-z0-9_-]{0,63})$/;

/**
 * Each item is checked, but a problem is reported at the list (`scopes`, `allowedOrigins`) with one
 * message for all: the client shows it beside the one input that holds the list.
 */
const eachMatches = (pattern: RegExp, message: string) =>
  z.array(z.string()).superRefine((items, ctx) => {
    if (items.some((item) => !pattern.test(item))) ctx.addIssue({ code: 'custom', message });
  });

export const createTokenSchema = namedSchema(
  'CreateTokenDto',
  z.strictObject({
    name: printable(100).min(1).meta({ example: 'ci-deployer' }),
    scopes: eachMatches(
      SCOPE,
      'each scope must be one of admin, flags:write, flags:read, deploy, deploy:read, approve, mirror:write, mirror:read, sdk:<environment>, mirror:report:<route>, client:<environment>, flags:write:<environment>, flags:read:<environment>, approve:<environment>',
    )
      .min(1, 'must have at least 1 item')
      .max(20, 'must have at most 20 items')
      .meta({
        example: ['deploy'],
        description:
          'admin, flags:write, flags:read, deploy, deploy:read, approve, mirror:write, mirror:read, sdk:<environment>, mirror:report:<route> (a proxy; * for every route), client:<environment> (a browser; alone), or flags:write:<environment> / flags:read:<environment> / approve:<environment> (that environment only). A token never holds more than its creator.',
      }),
    allowedOrigins: eachMatches(BROWSER_ORIGIN, 'each origin must be scheme://host[:port] in lower case, like https://shop.example, without a path')
      .max(MAX_ALLOWED_ORIGINS, `must have at most ${MAX_ALLOWED_ORIGINS} items`)
      .optional()
      .meta({
        example: ['https://shop.example'],
        description: 'client tokens only: the exact page origins (scheme://host[:port]) browsers may use the token from; none = no browser access',
      }),
    flagFilter: z.string().regex(FLAG_FILTER, 'flagFilter must be "client-side" or "tag:<tag>"').optional().meta({
      example: 'client-side',
      description: 'client tokens only: "client-side" (flags marked for client-side SDKs) or "tag:<tag>"; omitted = every flag',
    }),
  }),
);
