import type { ClientAccess } from '@switchyard/auth';
import { ValidationFailedError, type ErrorDetail } from '@switchyard/errors';

/**
 * The browser limits of a token being created. A client token holds its one `client:<env>` scope
 * and nothing else: any other scope would become usable from a web page. Origins and a filter only
 * mean something on a client token, so they are refused elsewhere rather than silently ignored.
 */
export function clientAccessOf(scopes: string[], allowedOrigins: string[] | undefined, flagFilter: string | undefined): ClientAccess | undefined {
  const clientScopes = scopes.filter((scope) => scope.startsWith('client:'));
  const problems: ErrorDetail[] = [];
  if (clientScopes.length === 0) {
    if (allowedOrigins !== undefined) problems.push({ path: 'allowedOrigins', problem: 'only client:<environment> tokens have browser origins' });
    if (flagFilter !== undefined) problems.push({ path: 'flagFilter', problem: 'only client:<environment> tokens have a flag filter' });
    if (problems.length) throw new ValidationFailedError(problems);
    return undefined;
  }
  if (scopes.length !== 1) throw new ValidationFailedError([{ path: 'scopes', problem: 'a client:<environment> token must have no other scope' }]);
  return { allowedOrigins: [...new Set(allowedOrigins ?? [])], flagFilter: flagFilter ?? null };
}
