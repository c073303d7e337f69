import type { Rollout } from '@switchyard/deploy';
import { parseCommandArgs, SERVER_OPTIONS, serverFrom } from '../cli-arguments';
import { EXIT_OK, UsageError, type CliIo } from '../cli-io';
import { serverError } from '../command-errors';
import { describeRollout } from './rollout-view';

export const ROLLOUT_USAGE = `switchyard rollout RELEASE [--start [--supersede]] [--server URL --token T] [--json]
  Shows a release's rollout (steps, gate, verdict); --start starts it (switchyard release does that after publish).`;

export async function rolloutCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('rollout', args, {
    ...SERVER_OPTIONS,
    start: { type: 'boolean' },
    supersede: { type: 'boolean' },
    json: { type: 'boolean' },
  });
  if (positionals.length !== 1) throw new UsageError('rollout: give exactly one release id');
  if (values.supersede && !values.start) throw new UsageError('rollout: --supersede goes with --start');
  const client = serverFrom(values, io, true);
  if (!client) return EXIT_OK;
  let rollout: Rollout;
  try {
    rollout = values.start ? await client.startRollout(positionals[0], { supersede: values.supersede }) : await client.getRollout(positionals[0]);
  } catch (error) {
    throw serverError(
      error,
      client,
      values.start ? `could not start the rollout of release ${positionals[0]}` : `could not read the rollout of release ${positionals[0]}`,
    );
  }
  io.stdout.write(values.json ? `${JSON.stringify(rollout, null, 2)}\n` : describeRollout(rollout));
  return EXIT_OK;
}
