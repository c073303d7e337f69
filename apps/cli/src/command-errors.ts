import type { PipelineFileError } from '@switchyard/deploy';
import { CommandError, UsageError } from './cli-io';
import { ServerRejectedError, ServerUnreachableError, type DeployApiClient } from './deploy-api.client';

/** What a failed server call means for the user: one line (exit 1), with the server's own reasons. */
export function serverError(error: unknown, client: DeployApiClient, what: string): Error {
  if (error instanceof ServerUnreachableError) return new CommandError(`${what}: ${error.message}`);
  if (error instanceof ServerRejectedError) {
    const details = error.details.map((d) => `\n  ${d.path}: ${d.problem}`).join('');
    const hint =
      error.status === 401
        ? ' (set SWITCHYARD_TOKEN or pass --token)'
        : error.status === 403 && error.code === 'FORBIDDEN'
          ? ' (a release needs a token with scope "deploy"; approving and aborting need "approve"; reading needs "deploy:read"; setting a release policy needs "admin")'
          : '';
    return new CommandError(`${what}: ${client.serverUrl} answered ${error.status} ${error.code}: ${error.message}${hint}${details}`);
  }
  return error instanceof Error ? error : new Error(String(error));
}

/** An invalid pipeline file: its located problems as they are, then what happened (exit 2). */
export function invalidPipeline(error: PipelineFileError): UsageError {
  const count = error.problems.length;
  return new UsageError(`${error.message}\nswitchyard: ${error.file} is invalid (${count} problem${count === 1 ? '' : 's'}); nothing was run`, true);
}
