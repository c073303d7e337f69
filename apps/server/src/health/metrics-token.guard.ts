import { createHash, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@switchyard/config';
import { UnauthenticatedError } from '@switchyard/errors';

const digest = (text: string): Buffer => createHash('sha256').update(text).digest();

/**
 * /metrics is public to the API's auth (scrapers hold no API token); when METRICS_TOKEN is set it
 * needs `Authorization: Bearer <METRICS_TOKEN>` instead. Digests make the comparison constant-time
 * and safe for any header length or encoding.
 */
@Injectable()
export class MetricsTokenGuard implements CanActivate {
  private readonly expected?: Buffer;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.expected = config.metrics.token === undefined ? undefined : digest(config.metrics.token);
  }

  canActivate(context: ExecutionContext): boolean {
    if (this.expected === undefined) return true;
    const header = context.switchToHttp().getRequest<{ headers: Record<string, string | string[] | undefined> }>().headers.authorization;
    const token = typeof header === 'string' && header.startsWith('Bearer ') ? header.slice('Bearer '.length) : undefined;
    if (token !== undefined && timingSafeEqual(digest(token), this.expected)) return true;
    throw new UnauthenticatedError('/metrics needs Authorization: Bearer <METRICS_TOKEN>');
  }
}
