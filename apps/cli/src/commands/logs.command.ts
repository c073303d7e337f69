import { STAGE_NAMES, type Release } from '@switchyard/deploy';
import { parseCommandArgs, SERVER_OPTIONS, serverFrom } from '../cli-arguments';
import { EXIT_OK, UsageError, type CliIo } from '../cli-io';
import { serverError } from '../command-errors';

export const LOGS_USAGE = `switchyard logs RELEASE --stage build|test|publish [--server URL --token T]
  The end of a stage's output as the server recorded it.`;

export async function logsCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('logs', args, { ...SERVER_OPTIONS, stage: { type: 'string' } });
  if (positionals.length !== 1) throw new UsageError('logs: give exactly one release id');
  if (!values.stage) throw new UsageError(`logs: --stage is required (${STAGE_NAMES.join(', ')})`);
  const stageName = values.stage;
  if (!(STAGE_NAMES as readonly string[]).includes(stageName)) throw new UsageError(`--stage must be one of ${STAGE_NAMES.join(', ')} (got "${stageName}")`);
  const client = serverFrom(values, io, true);
  if (!client) return EXIT_OK;
  let release: Release;
  try {
    release = await client.getRelease(positionals[0]);
  } catch (error) {
    throw serverError(error, client, `could not read release ${positionals[0]}`);
  }
  const stage = release.stages.find((s) => s.name === stageName);
  if (stage?.logTail) io.stdout.write(stage.logTail.endsWith('\n') ? stage.logTail : `${stage.logTail}\n`);
  else io.stderr.write(`(no output recorded for stage ${stageName}: it is ${stage?.status ?? 'unknown'})\n`);
  if (stage?.error) io.stderr.write(`${stageName} ${stage.status}: ${stage.error}\n`);
  return EXIT_OK;
}
