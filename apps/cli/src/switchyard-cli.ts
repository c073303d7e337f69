import { CLI_VERSION, CommandError, EXIT_FAILED, EXIT_OK, EXIT_USAGE, UsageError, type CliIo } from './cli-io';
import { CHANGES_USAGE, changesCommand } from './commands/changes.command';
import { FLAGS_USAGE, flagsCommand } from './flags-as-code/flags.command';
import { ABORT_USAGE, abortCommand, APPROVE_USAGE, approveCommand } from './commands/gate-decision.command';
import { ROLLBACK_USAGE, rollbackCommand } from './commands/rollback.command';
import { ROLLOUT_USAGE, rolloutCommand } from './commands/rollout.command';
import { LOGS_USAGE, logsCommand } from './commands/logs.command';
import { POLICY_USAGE, policyCommand } from './commands/policy.command';
import { PROXY_USAGE, proxyCommand } from './commands/proxy.command';
import { RELEASE_USAGE, releaseCommand } from './commands/release.command';
import { RELEASES_USAGE, releasesCommand } from './commands/releases.command';
import { REPLAY_USAGE, replayCommand } from './replay/replay.command';
import { STATUS_USAGE, statusCommand } from './commands/status.command';
import { VALIDATE_USAGE, validateCommand } from './commands/validate.command';

const COMMANDS: Record<string, { run: (args: string[], io: CliIo) => Promise<number>; usage: string }> = {
  release: { run: releaseCommand, usage: RELEASE_USAGE },
  validate: { run: validateCommand, usage: VALIDATE_USAGE },
  status: { run: statusCommand, usage: STATUS_USAGE },
  releases: { run: releasesCommand, usage: RELEASES_USAGE },
  logs: { run: logsCommand, usage: LOGS_USAGE },
  rollout: { run: rolloutCommand, usage: ROLLOUT_USAGE },
  approve: { run: approveCommand, usage: APPROVE_USAGE },
  abort: { run: abortCommand, usage: ABORT_USAGE },
  rollback: { run: rollbackCommand, usage: ROLLBACK_USAGE },
  changes: { run: changesCommand, usage: CHANGES_USAGE },
  flags: { run: flagsCommand, usage: FLAGS_USAGE },
  policy: { run: policyCommand, usage: POLICY_USAGE },
  proxy: { run: proxyCommand, usage: PROXY_USAGE },
  replay: { run: replayCommand, usage: REPLAY_USAGE },
};

export const USAGE = `usage: switchyard <command> [options]

${Object.values(COMMANDS)
  .map((c) => c.usage)
  .join('\n\n')}

Environment: SWITCHYARD_URL, SWITCHYARD_TOKEN (server and bearer token), REGISTRY_USERNAME and
REGISTRY_PASSWORD (registry credentials), CI=true (plain output). Exit codes: 0 success, 1 a stage
failed or the server could not record it, 2 bad usage or an invalid pipeline file.
`;

/** Runs one command line and returns its exit code; never calls process.exit (main.ts does). */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const [name, ...args] = argv;
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    (name ? io.stdout : io.stderr).write(USAGE);
    return name ? EXIT_OK : EXIT_USAGE;
  }
  if (name === '--version' || name === 'version') {
    io.stdout.write(`switchyard ${CLI_VERSION}\n`);
    return EXIT_OK;
  }
  const command = COMMANDS[name];
  if (!command) {
    io.stderr.write(`switchyard: unknown command "${name}"\n\n${USAGE}`);
    return EXIT_USAGE;
  }
  if (args.includes('--help') || args.includes('-h')) {
    io.stdout.write(`usage: ${command.usage}\n`);
    return EXIT_OK;
  }
  try {
    return await command.run(args, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(error.preformatted ? `${error.message}\n` : `switchyard: ${error.message}\n`);
      return EXIT_USAGE;
    }
    if (error instanceof CommandError) {
      io.stderr.write(`switchyard: ${error.message}\n`);
      return EXIT_FAILED;
    }
    io.stderr.write(`switchyard: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return EXIT_FAILED;
  }
}
