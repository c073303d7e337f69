import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@switchyard/config';
import { clientEnvironments, type Principal } from '@switchyard/auth';
import { AppError, ForbiddenError } from '@switchyard/errors';
import type { RequestHeaders } from '../http';
import { requestedEnvironment } from '../remote-evaluation/sdk-environment';
import { parseFlagFilter, type ClientFlagFilter } from './client-flag-filter';
import { requestOrigin } from './client-origins';
import { RateLimiter, type RateLimit } from './client-rate-limiter';

/**
 * A site's token is shared by all its visitors, so its limit is high; one address (one browser, or
 * one office behind NAT) gets far less, so a single client cannot use up the token's share.
 * Bursts of 4× the rate cover a page load's few requests at once.
 */
function limit(perSecond: number): RateLimit {
  return { perSecond, burst: perSecond * 4 };
}

/** Larger contexts are refused: a page has no reason to send more, and every byte is hashed and kept per stream group. */
export const MAX_CLIENT_CONTEXT_BYTES = 8_192;

export class TooManyClientRequestsError extends AppError {
  constructor(retryAfterSeconds: number, what: string) {
    super('TOO_MANY_REQUESTS', `too many requests ${what}; try again in ${retryAfterSeconds} s`, 429, [], { retryAfter: retryAfterSeconds });
  }
}

/** What a browser request may see, once its token, origin and rate were checked. */
export interface ClientGrant {
  environment: string;
  filter: ClientFlagFilter;
  /** True for `client:` tokens: their answers leave out rule ids and error texts. */
  restricted: boolean;
}

@Injectable()
export class ClientAccessService {
  private readonly perToken: RateLimiter;
  private readonly perAddress: RateLimiter;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.perToken = new RateLimiter(limit(config.clientRatePerToken), 10_000);
    this.perAddress = new RateLimiter(limit(config.clientRatePerAddress), 50_000);
  }

  /**
   * Checks a request made with a client token (origin on its list, within both rate limits) and
   * says what it may read. Other principals allowed on the same routes (admin) read as they always did.
   */
  grant(principal: Principal, request: { headers: RequestHeaders; ip: string }, environmentQuery?: string): ClientGrant {
    const environments = clientEnvironments(principal.scopes);
    if (environments.length === 0 || !principal.client) {
      return { environment: requestedEnvironment(principal, environmentQuery, request.headers), filter: { kind: 'all' }, restricted: false };
    }
    const origin = requestOrigin(request.headers);
    if (origin !== undefined && !principal.client.allowedOrigins.includes(origin)) {
      throw new ForbiddenError(`the origin ${JSON.stringify(origin.slice(0, 200))} is not allowed for this client token`);
    }
    const now = Date.now();
    const addressWait = this.perAddress.take(request.ip, now);
    if (addressWait > 0) throw new TooManyClientRequestsError(addressWait, 'from this address');
    const tokenWait = this.perToken.take(principal.id, now);
    if (tokenWait > 0) throw new TooManyClientRequestsError(tokenWait, 'with this client token');
    const header = request.headers['x-switchyard-environment'];
    const asked = environmentQuery ?? (Array.isArray(header) ? header[0] : header);
    if (asked !== undefined && !environments.includes(asked)) {
      throw new ForbiddenError(`this client token may read ${environments.join(', ')} only, not ${JSON.stringify(asked.slice(0, 64))}`);
    }
    return { environment: asked ?? environments[0], filter: parseFlagFilter(principal.client.flagFilter), restricted: true };
  }
}
