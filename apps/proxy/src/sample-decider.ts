import type { IncomingMessage } from 'node:http';
import { bucket, TOTAL_WEIGHT } from '@switchyard/core';
import type { MirrorRoute } from '@switchyard/mirror';

/** Decides, per request, whether a route mirrors it. */
export interface SampleDecider {
  sampled(request: IncomingMessage): boolean;
}

/**
 * The seam for flag-controlled sampling (`sample: { flag: ... }`). The Node SDK's client will
 * satisfy it (`getBooleanValue(key, default, context)` evaluates locally, no I/O), so a person can
 * change the dark-launch percentage or kill it from the UI without restarting the proxy.
 */
export interface FlagEvaluator {
  getBooleanValue(flagKey: string, defaultValue: boolean, context: Record<string, string>): boolean;
}

/** Reads the attribute a route buckets by: `header:<name>`, `query:<name>`, `cookie:<name>` or `ip`. */
export function bucketValue(request: IncomingMessage, bucketBy: string | undefined): string | undefined {
  if (!bucketBy) return undefined;
  if (bucketBy === 'ip') return request.socket.remoteAddress;
  const colon = bucketBy.indexOf(':');
  const kind = bucketBy.slice(0, colon);
  const name = bucketBy.slice(colon + 1);
  switch (kind) {
    case 'header': {
      const value = request.headers[name.toLowerCase()];
      return Array.isArray(value) ? value[0] : value || undefined;
    }
    case 'query': {
      const url = request.url ?? '';
      const query = url.indexOf('?');
      return query < 0 ? undefined : (new URLSearchParams(url.slice(query + 1)).get(name) ?? undefined);
    }
    case 'cookie': {
      for (const part of (request.headers.cookie ?? '').split(';')) {
        const eq = part.indexOf('=');
        if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
      }
      return undefined;
    }
    default:
      return undefined;
  }
}

/**
 * `{ percent }`: sticky by the bucketing attribute through the same MurmurHash3 bucket the flag
 * engine uses, so a user is mirrored on every request or on none. A request without the
 * attribute is sampled at random at the same rate.
 */
export class PercentSampleDecider implements SampleDecider {
  private readonly threshold: number;
  private readonly key: string;

  constructor(
    routeName: string,
    percent: number,
    private readonly bucketBy: string | undefined,
    private readonly salt = 'mirror',
    private readonly random: () => number = Math.random,
  ) {
    this.threshold = Math.round((percent / 100) * TOTAL_WEIGHT);
    this.key = `mirror.${routeName}`;
  }

  sampled(request: IncomingMessage): boolean {
    if (this.threshold <= 0) return false;
    if (this.threshold >= TOTAL_WEIGHT) return true;
    const value = bucketValue(request, this.bucketBy);
    if (value === undefined) return this.random() * TOTAL_WEIGHT < this.threshold;
    return bucket(this.key, this.salt, value) < this.threshold;
  }
}

/** `{ flag }`: the flag's boolean value for this user. Without an evaluator nothing is mirrored. */
export class FlagSampleDecider implements SampleDecider {
  constructor(
    private readonly flagKey: string,
    private readonly bucketBy: string | undefined,
    private readonly flags: FlagEvaluator | undefined,
  ) {}

  sampled(request: IncomingMessage): boolean {
    if (!this.flags) return false;
    const value = bucketValue(request, this.bucketBy);
    try {
      return this.flags.getBooleanValue(this.flagKey, false, value === undefined ? {} : { targetingKey: value });
    } catch {
      // Evaluation never throws by contract; if an evaluator does, the live path still must not.
      return false;
    }
  }
}

export function createSampleDecider(route: MirrorRoute, flags: FlagEvaluator | undefined): SampleDecider {
  const { sample } = route;
  if (sample.flag !== undefined) return new FlagSampleDecider(sample.flag, sample.bucketBy, flags);
  return new PercentSampleDecider(route.name, sample.percent ?? 0, sample.bucketBy, sample.salt);
}
