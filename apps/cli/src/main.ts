import { stopRunningCommands } from '@switchyard/deploy';
import { runCli } from './switchyard-cli';

// The CLI's configuration is its environment and argv, read here once and handed down.
// eslint-disable-next-line no-restricted-properties -- a CLI process, not the server: @switchyard/config does not apply
const env = process.env;

// A cancelled CI job (Jenkins abort, Ctrl-C) stops the running stage's processes; the stage then
// fails and is reported like any failure. A second signal quits at once.
let cancelled = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (cancelled) process.exit(130);
    cancelled = true;
    process.stderr.write(`switchyard: ${signal}: stopping the running stage (send it again to quit at once)\n`);
    stopRunningCommands(signal);
  });
}

runCli(process.argv.slice(2), { env, cwd: process.cwd(), stdout: process.stdout, stderr: process.stderr }).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`switchyard: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  },
);
