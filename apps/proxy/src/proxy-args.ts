/** Command-line options of `switchyard proxy` / `npm run start:proxy`. */
export interface ProxyArgs {
  /** Standalone: the route file. */
  config?: string;
  /** Connected: the Switchyard server to take routes and flags from and send reports to. */
  server?: string;
  token?: string;
  /** Connected: the environment whose flags decide sampling (default production). */
  environment?: string;
  /** Connected: how often reports are sent (default 10000). */
  reportIntervalMs?: number;
  port: number;
  adminPort: number;
  host: string;
  logLevel: string;
  /** Shadow copies are shed while the event loop is busier than this (0–1; 1 = never). */
  maxEventLoopUtilization?: number;
}

export class ProxyArgsError extends Error {}

export const PROXY_USAGE = [
  'usage: switchyard proxy --config routes.yml [--port 8080] [--admin-port 8081] [--host 0.0.0.0] [--log-level info]',
  '       switchyard proxy --server URL --token T [--environment production] [--report-interval-ms 10000] [--port 8080] [--admin-port 8081] …',
  '       either mode: [--max-event-loop-utilization 0.9]  shed shadow copies while the event loop is busier than this (1: never)',
].join('\n');

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
  const known = ['config', 'port', 'admin-port', 'host', 'log-level', 'server', 'token', 'environment', 'report-interval-ms', 'max-event-loop-utilization'];
  for (const name of values.keys()) {
    if (!known.includes(name)) throw new ProxyArgsError(`unknown option --${name}`);
  }
  const config = values.get('config');
  const server = values.get('server');
  if (config && server) throw new ProxyArgsError('use either --config (standalone) or --server (connected), not both');
  if (!config && !server) throw new ProxyArgsError('--config <routes.yml> is required (or --server URL --token T to run connected)');
  const logLevel = values.get('log-level') ?? 'info';
  if (!LOG_LEVELS.includes(logLevel)) throw new ProxyArgsError(`--log-level must be one of ${LOG_LEVELS.join(', ')}`);
  const port = portOf('port', values.get('port') ?? '8080');
  const adminPort = portOf('admin-port', values.get('admin-port') ?? '8081');
  if (port === adminPort && port !== 0) throw new ProxyArgsError('--port and --admin-port must differ');
  const utilization = values.get('max-event-loop-utilization');
  if (utilization !== undefined && !(/^(0(\.\d+)?|1(\.0+)?)$/.test(utilization) && Number(utilization) > 0)) {
    throw new ProxyArgsError(`--max-event-loop-utilization must be a number above 0 and at most 1, got "${utilization}"`);
  }
  const common = { port, adminPort, host: values.get('host') ?? '0.0.0.0', logLevel, ...(utilization !== undefined ? { maxEventLoopUtilization: Number(utilization) } : {}) };
  if (config) {
    for (const name of ['token', 'environment', 'report-interval-ms']) if (values.has(name)) throw new ProxyArgsError(`--${name} only applies with --server`);
    return { config, ...common };
  }
  if (!/^https?:\/\/[^/]/.test(server!)) throw new ProxyArgsError(`--server must be an http:// or https:// URL, got "${server}"`);
  const token = values.get('token');
  if (!token) throw new ProxyArgsError('--server needs --token (a token with flags:read and flags:write)');
  const interval = values.get('report-interval-ms') ?? '10000';
  if (!/^\d+$/.test(interval) || Number(interval) < 100) throw new ProxyArgsError(`--report-interval-ms must be a number ≥ 100, got "${interval}"`);
  return { server: server!, token, environment: values.get('environment') ?? 'production', reportIntervalMs: Number(interval), ...common };
}

function portOf(name: string, value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535) throw new ProxyArgsError(`--${name} must be a port number (0–65535), got "${value}"`);
  return port;
}
