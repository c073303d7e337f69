import { ForbiddenError, NotFoundError, ValidationFailedError } from '@switchyard/errors';
import { sdkEnvironments, type Principal } from '@switchyard/auth';
import type { EnvironmentSnapshots, EnvironmentState } from '@switchyard/store';

/** Tokens that may read every environment get this one unless they name another. */
export const DEFAULT_SDK_ENVIRONMENT = 'development';

type Headers = Record<string, string | string[] | undefined>;

/**
 * The environment an SDK/OFREP request reads: an `sdk:<env>` token is pinned to its environment;
 * `admin`/`flags:read` tokens choose with `?environment=` or `X-Switchyard-Environment`.
 */
export function requestedEnvironment(principal: Principal, query: string | undefined, headers: Headers): string {
  const header = headers['x-switchyard-environment'];
  const requested = query ?? (Array.isArray(header) ? header[0] : header);
  const allowed = sdkEnvironments(principal.scopes);
  if (allowed === 'all') return requested ?? DEFAULT_SDK_ENVIRONMENT;
  if (requested !== undefined) {
    if (!allowed.includes(requested)) throw new ForbiddenError(`this token may read ${allowed.join(', ')} only, not "${requested}"`);
    return requested;
  }
  if (allowed.length === 1) return allowed[0];
  throw new ValidationFailedError([{ path: 'environment', problem: `this token reads several environments (${allowed.join(', ')}): name one` }]);
}

export async function environmentState(snapshots: EnvironmentSnapshots, environment: string): Promise<EnvironmentState> {
  const state = await snapshots.ensure(environment);
  if (!state) throw new NotFoundError('environment', environment);
  return state;
}
