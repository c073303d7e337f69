/** Command-line options of `switchyard proxy` / `npm run start:proxy`. */
export interface ProxyArgs {
  config: string;
  port: number;
  adminPort: number;
  host: string;
  logLevel: string;
}

export class ProxyArgsError extends Error {}

export const PROXY_USAGE = `usage: switchyard proxy --config routes.yml [--port 8080] [--admin-port 8081] [--host 0.0.0.0] [--log-level info]`;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** Parses `--name value` and `--name=value`; `help: true` when --help was asked for. */
export function parseProxyArgs(argv: readonly string[]): ProxyArgs | { help: true } {
  const values = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') return { help: true };
    if (!arg.startsWith('--')) throw new ProxyArgsError(`unexpected argument "${arg}"`);
    const eq = arg.indexOf('=');
    const name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
    let value: string | undefined = eq < 0 ? undefined : arg.slice(eq + 1);
    if (value === undefined) {
      value = argv[i + 1];
      if (value === undefined || value.startsWith('--')) throw new ProxyArgsError(`--${name} needs a value`);
      i++;
    }
    values.set(name, value);
  }
  for (const name of values.keys()) {
    if (name === 'server' || name === 'token') {
      throw new ProxyArgsError('connected mode (--server/--token) is not available yet; run standalone with --config');
    }
    if (!['config', 'port', 'admin-port', 'host', 'log-level'].includes(name)) throw new ProxyArgsError(`unknown option --${name}`);
  }
  const config = values.get('config');
  if (!config) throw new ProxyArgsError('--config <routes.yml> is required');
  const logLevel = values.get('log-level') ?? 'info';
  if (!LOG_LEVELS.includes(logLevel)) throw new ProxyArgsError(`--log-level must be one of ${LOG_LEVELS.join(', ')}`);
  const port = portOf('port', values.get('port') ?? '8080');
  const adminPort = portOf('admin-port', values.get('admin-port') ?? '8081');
  if (port === adminPort && port !== 0) throw new ProxyArgsError('--port and --admin-port must differ');
  return { config, port, adminPort, host: values.get('host') ?? '0.0.0.0', logLevel };
}

function portOf(name: string, value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535) throw new ProxyArgsError(`--${name} must be a port number (0–65535), got "${value}"`);
  return port;
}
