import type { Rollout } from '@switchyard/deploy';
import { parseCommandArgs, SERVER_OPTIONS, serverFrom } from '../cli-arguments';
import { EXIT_FAILED, EXIT_OK, UsageError, type CliIo } from '../cli-io';
import { serverError } from '../command-errors';
import { describeRollout } from './rollout-view';

export const ROLLBACK_USAGE = `switchyard rollback SERVICE --environment ENV --reason TEXT [--to RELEASE] [--supersede] [--wait] [--server URL --token T] [--json]
  Restores the previous successful release of SERVICE in ENV (or --to a release from its history), without analysis.`;

const TERMINAL = new Set(['succeeded', 'failed', 'aborted', 'superseded']);

export async function rollbackCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('rollback', args, {
    ...SERVER_OPTIONS,
    environment: { type: 'string', short: 'e' },
    reason: { type: 'string', short: 'm' },
    to: { type: 'string' },
    supersede: { type: 'boolean' },
    wait: { type: 'boolean' },
    'wait-timeout-ms': { type: 'string' },
    json: { type: 'boolean' },
  });
  if (positionals.length !== 1) throw new UsageError('rollback: give exactly one service');
  if (!values.environment) throw new UsageError('rollback: --environment is required');
  const reason = values.reason?.trim();
  if (!reason) throw new UsageError('rollback: --reason is required (it is kept in the audit trail)');
  const timeoutMs = values['wait-timeout-ms'] === undefined ? 15 * 60_000 : Number(values['wait-timeout-ms']);
  if (!Number.isInteger(timeoutMs) || timeoutMs < 100) throw new UsageError('--wait-timeout-ms must be an integer ≥ 100');
  const client = serverFrom(values, io, true);
  if (!client) return EXIT_OK;
  let rollout: Rollout;
  try {
    rollout = await client.rollback(positionals[0], values.environment, { reason, toRelease: values.to, supersede: values.supersede });
  } catch (error) {
    throw serverError(error, client, `could not roll back ${positionals[0]} in ${values.environment}`);
  }
  if (values.wait) {
    const deadline = Date.now() + timeoutMs;
    while (!TERMINAL.has(rollout.status) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      try {
        rollout = await client.getRolloutById(rollout.id);
      } catch (error) {
        throw serverError(error, client, `could not follow rollback ${rollout.id}`);
      }
    }
  }
  io.stdout.write(values.json ? `${JSON.stringify(rollout, null, 2)}\n` : describeRollout(rollout));
  return values.wait && rollout.status !== 'succeeded' ? EXIT_FAILED : EXIT_OK;
}
