import type { Rollout } from '@switchyard/deploy';
import { parseCommandArgs, SERVER_OPTIONS, serverFrom } from '../cli-arguments';
import { EXIT_OK, UsageError, type CliIo } from '../cli-io';
import { serverError } from '../command-errors';
import { describeRollout } from './rollout-view';

export const APPROVE_USAGE = `switchyard approve RELEASE --comment TEXT [--server URL --token T] [--json]
  Lets a release waiting at an approval gate (or at an inconclusive canary analysis) go on. Needs scope approve.`;

export const ABORT_USAGE = `switchyard abort RELEASE --comment TEXT [--server URL --token T] [--json]
  Stops a release's rollout: at a gate nothing changes; a canary is deleted; a half-done environment is rolled back.`;

export function approveCommand(args: string[], io: CliIo): Promise<number> {
  return decide('approve', args, io);
}

export function abortCommand(args: string[], io: CliIo): Promise<number> {
  return decide('abort', args, io);
}

async function decide(decision: 'approve' | 'abort', args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs(decision, args, { ...SERVER_OPTIONS, comment: { type: 'string', short: 'm' }, json: { type: 'boolean' } });
  if (positionals.length !== 1) throw new UsageError(`${decision}: give exactly one release id`);
  const comment = values.comment?.trim();
  if (!comment) throw new UsageError(`${decision}: --comment is required (it is kept in the audit trail)`);
  const client = serverFrom(values, io, true);
  if (!client) return EXIT_OK;
  let rollout: Rollout;
  try {
    rollout = await client.decide(positionals[0], decision, comment);
  } catch (error) {
    throw serverError(error, client, `could not ${decision} release ${positionals[0]}`);
  }
  if (values.json) io.stdout.write(`${JSON.stringify(rollout, null, 2)}\n`);
  else {
    const done = decision === 'approve' ? 'approved' : rollout.status === 'aborted' ? 'aborted' : 'abort requested';
    io.stdout.write(`${done}: release ${rollout.releaseId} (${rollout.service} ${rollout.version})\n${describeRollout(rollout)}`);
  }
  return EXIT_OK;
}
