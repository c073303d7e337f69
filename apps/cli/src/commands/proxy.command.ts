import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { CommandError, type CliIo } from '../cli-io';

export const PROXY_USAGE = `switchyard proxy (--config routes.yml | --server URL [--token-file F]) [--port 8080] [--admin-port 8081] [--host H] [--admin-host 127.0.0.1]
  Runs the dark-launch proxy: standalone from a route file, or connected to the server for its routes,
  flags and reports. Its server token comes from --token-file or SWITCHYARD_TOKEN (scopes sdk:<environment>
  and mirror:report:<route>); the admin port's optional bearer token from --admin-token-file or
  SWITCHYARD_PROXY_ADMIN_TOKEN. See apps/proxy/README.md for every option.`;

/**
 * The proxy is its own process (its event loop must serve only live traffic), so the CLI starts
 * the built proxy entry with the same arguments and passes its exit code through.
 */
export async function proxyCommand(args: string[], io: CliIo): Promise<number> {
  // dist/apps/cli/src/commands → dist/apps/proxy/src/main.js
  const entry = resolve(__dirname, '../../../proxy/src/main.js');
  if (!existsSync(entry)) throw new CommandError(`the proxy is not built (${entry} is missing): run npm run build`);
  const child = spawn(process.execPath, [entry, ...args], { cwd: io.cwd, stdio: 'inherit' });
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  // SIGHUP asks the proxy to re-read its route file.
  process.on('SIGHUP', forward);
  return new Promise((done) => {
    child.on('exit', (code, signal) => {
      process.off('SIGINT', forward);
      process.off('SIGTERM', forward);
      process.off('SIGHUP', forward);
      done(code ?? (signal === 'SIGTERM' || signal === 'SIGINT' ? 0 : 1));
    });
  });
}
