import { z } from 'zod';
import type { MirrorRouteList, MirrorRouteView } from './mirror-route.contract';
import { PathPattern, PathPatternError } from './json-path';
import { isStructuredRule, structuredRuleProblem } from './structured-path';

/** Methods a proxy may replay without side effects; anything else needs `allowUnsafeMethods: true`. */
export const SAFE_METHODS: readonly string[] = ['GET', 'HEAD', 'OPTIONS', 'TRACE'];
const METHODS = ['GET', 'HEAD', 'OPTIONS', 'TRACE', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

function pathRule(value: string, ctx: z.RefinementCtx): void {
  try {
    PathPattern.parse(value);
  } catch (error) {
    if (!(error instanceof PathPatternError)) throw error;
    ctx.addIssue({ code: 'custom', message: error.message });
  }
}

const httpUrl = z.string().refine((value) => {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}, 'must be an http:// or https:// URL');

const ignoreRule = z.string().superRefine((value, ctx) => {
  if (value === 'status' || value === 'body') return;
  if (isStructuredRule(value)) {
    const problem = structuredRuleProblem(value);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
    return;
  }
  if (value.toLowerCase().startsWith('header:')) {
    if (value.length === 'header:'.length) ctx.addIssue({ code: 'custom', message: 'header: needs a header name (header:date)' });
    return;
  }
  pathRule(value, ctx);
});

const sampleSchema = z
  .strictObject({
    percent: z.number().min(0).max(100).optional(),
    flag: z.string().min(1).optional(),
    bucketBy: z
      .string()
      .regex(/^(?:(?:header|query|cookie):\S+|ip)$/, 'must be header:<name>, query:<name>, cookie:<name> or ip')
      .optional(),
    salt: z.string().optional(),
  })
  .superRefine((sample, ctx) => {
    if ((sample.percent === undefined) === (sample.flag === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'set exactly one of percent (0–100) or flag (a flag key)' });
    }
  });

export const mirrorRouteSchema = z
  .strictObject({
    name: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, 'must be lowercase letters, digits, ".", "_" or "-" (at most 63)'),
    match: z
      .strictObject({
        host: z.string().min(1).optional(),
        pathPrefix: z.string().startsWith('/', 'must start with /').default('/'),
      })
      .prefault({}),
    primary: httpUrl,
    candidate: httpUrl,
    secondary: httpUrl.optional(),
    sample: sampleSchema,
    methods: z
      .array(
        z
          .string()
          .transform((method) => method.toUpperCase())
          .pipe(z.enum(METHODS)),
      )
      .min(1)
      .default(['GET', 'HEAD']),
    allowUnsafeMethods: z.boolean().default(false),
    // Only for a candidate whose writes go nowhere: true mirrors POST/PUT/PATCH/DELETE on the whole
    // route, a list only on those endpoints (as `endpoints` spells them, e.g. /orders/:id). Off when absent.
    mirrorUnsafe: z.union([z.boolean(), z.array(z.string().startsWith('/', 'must start with /')).min(1)]).optional(),
    timeoutMs: z.int().min(1).max(600_000).default(2000),
    maxBodyBytes: z
      .int()
      .min(0)
      .max(256 * 1024 * 1024)
      .default(1_048_576),
    maxInFlight: z.int().min(1).max(100_000).default(200),
    scrubHeaders: z
      .array(
        z
          .string()
          .min(1)
          .transform((name) => name.toLowerCase()),
      )
      .default([]),
    compare: z
      .strictObject({
        ignore: z.array(ignoreRule).default([]),
        unorderedArrays: z.array(z.string().superRefine(pathRule)).default([]),
        headers: z
          .array(
            z
              .string()
              .min(1)
              .transform((name) => name.toLowerCase()),
          )
          // Headers whose change breaks clients; volatile ones (date, etag) are left out on purpose.
          .default(['content-type', 'cache-control', 'location']),
        noise: z
          .strictObject({
            relativePercent: z.number().min(0).max(100).default(20),
            absolutePercent: z.number().min(0).max(100).default(0.03),
          })
          .prefault({}),
        // Without a secondary, this share of mirrored safe requests is also replayed to the primary
        // to measure noise (plus the first few per endpoint, so every endpoint gets a baseline).
        calibration: z
          .strictObject({
            percent: z.number().min(0).max(100).default(5),
            minPerEndpoint: z.int().min(0).max(10_000).default(20),
          })
          .prefault({}),
      })
      .prefault({}),
    endpoints: z.array(z.string().startsWith('/', 'must start with /')).default([]),
    // Record/replay: a sampled, size-bounded, rotating capture of this route's primary exchanges
    // (apps/proxy/src/recorder.ts), replayed later by `switchyard replay`.
    record: z
      .strictObject({
        dir: z.string().min(1),
        sample: z.number().min(0).max(100).default(100),
        maxBytes: z
          .int()
          .min(64 * 1024)
          .default(256 * 1024 * 1024),
        maxFiles: z.int().min(1).max(10_000).default(8),
        /** JSON paths masked in request and response bodies, besides secret-looking keys. */
        redactPaths: z.array(z.string().superRefine(pathRule)).default([]),
      })
      .optional(),
    verdict: z
      .strictObject({
        minCompared: z.int().min(1).default(500),
        maxMismatchPercent: z.number().min(0).max(100).default(0.1),
      })
      .prefault({}),
    breaker: z
      .strictObject({
        failurePercent: z.number().min(1).max(100).default(50),
        minRequests: z.int().min(1).max(10_000).default(20),
        openMs: z.int().min(100).default(30_000),
      })
      .prefault({}),
  })
  .superRefine((route, ctx) => {
    if (route.allowUnsafeMethods) return;
    route.methods.forEach((method, index) => {
      if (!SAFE_METHODS.includes(method)) {
        ctx.addIssue({ code: 'custom', path: ['methods', index], message: `${method} changes state; mirroring it needs allowUnsafeMethods: true` });
      }
    });
  });

/** One mirrored route with every default filled in. */
export type MirrorRoute = z.output<typeof mirrorRouteSchema>;

/**
 * A stored route as /api/v1/mirror/routes answers it: the contract's view (mirror-route.contract)
 * over the whole route. It also checks that this schema's output keeps the fields the contract promises.
 */
export type MirrorRouteDetail = MirrorRouteView<MirrorRoute>;
export type MirrorRouteDetailList = MirrorRouteList<MirrorRoute>;
/** A route as written in YAML or sent to the API. */
export type MirrorRouteInput = z.input<typeof mirrorRouteSchema>;
export type SampleConfig = MirrorRoute['sample'];

/** A problem with a route definition, at a path like `[0, 'sample', 'percent']`. */
export interface RouteProblem {
  path: (string | number)[];
  problem: string;
}

/**
 * Validates a whole route set: either a list of routes or `{ routes: [...] }`. Also checks what a
 * single route cannot: names are unique and no two routes claim the same host and path prefix.
 */
export function validateRoutes(input: unknown): { routes: MirrorRoute[]; problems: RouteProblem[]; base: (string | number)[] } {
  const base: (string | number)[] = Array.isArray(input) ? [] : ['routes'];
  const list = Array.isArray(input) ? input : input && typeof input === 'object' && 'routes' in input ? (input as { routes: unknown }).routes : undefined;
  if (!Array.isArray(list)) {
    return { routes: [], problems: [{ path: [], problem: 'expected a list of routes (or a map with a "routes" list)' }], base };
  }
  if (!Array.isArray(input)) {
    const extra = Object.keys(input as object).filter((key) => key !== 'routes');
    if (extra.length > 0) return { routes: [], problems: extra.map((key) => ({ path: [key], problem: 'unknown field' })), base };
  }
  const routes: MirrorRoute[] = [];
  const problems: RouteProblem[] = [];
  list.forEach((item, index) => {
    const parsed = mirrorRouteSchema.safeParse(item);
    if (parsed.success) routes.push(parsed.data);
    else problems.push(...parsed.error.issues.flatMap((issue) => toProblems(issue, [...base, index])));
  });
  if (problems.length > 0) return { routes: [], problems, base };
  const names = new Map<string, number>();
  const matches = new Map<string, number>();
  routes.forEach((route, index) => {
    const earlier = names.get(route.name);
    if (earlier !== undefined) problems.push({ path: [...base, index, 'name'], problem: `duplicate route name (also route ${earlier})` });
    names.set(route.name, index);
    const key = `${route.match.host?.toLowerCase() ?? '*'} ${route.match.pathPrefix}`;
    const same = matches.get(key);
    if (same !== undefined)
      problems.push({ path: [...base, index, 'match'], problem: `matches exactly the same requests as route ${same} (${routes[same].name})` });
    matches.set(key, index);
  });
  return { routes: problems.length > 0 ? [] : routes, problems, base };
}

function toProblems(issue: z.core.$ZodIssue, prefix: (string | number)[]): RouteProblem[] {
  const path = [...prefix, ...issue.path.map((part) => (typeof part === 'symbol' ? String(part) : part))];
  if (issue.code === 'unrecognized_keys') return issue.keys.map((key) => ({ path: [...path, key], problem: 'unknown field' }));
  if (issue.code === 'invalid_type' && /received undefined/.test(issue.message)) return [{ path, problem: 'is required' }];
  return [{ path, problem: issue.message.replace(/^Invalid input: /, '') }];
}

/** `routes[0].sample.percent` */
export function formatProblemPath(path: readonly (string | number)[]): string {
  let out = '';
  for (const part of path) out += typeof part === 'number' ? `[${part}]` : out === '' ? part : `.${part}`;
  return out === '' ? '(file)' : out.startsWith('[') ? `routes${out}` : out;
}
