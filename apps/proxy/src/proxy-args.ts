import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import type { RecordSettings } from './recorder';
import { parseRecordArgs, RECORD_OPTIONS, RECORD_USAGE } from './recorder-args';

/** Command-line options of `switchyard proxy` / `npm run start:proxy`, and the secrets it takes from its environment. */
export interface ProxyArgs {
  /** Standalone: the route file. */
  config?: string;
  /** Connected: the Switchyard server to take routes and flags from and send reports to. */
  server?: string;
  /** Connected: from --token-file, else SWITCHYARD_TOKEN, else --token (visible in `ps`). */
  token?: string;
  /** Connected: the environment whose flags decide sampling (default production). */
  environment?: string;
  /** Connected: how often reports are sent (default 10000). */
  reportIntervalMs?: number;
  port: number;
  adminPort: number;
  host: string;
  /** The admin port's address: loopback unless asked (its reports hold response examples). */
  adminHost: string;
  /** When set, the admin port answers only `Authorization: Bearer <adminToken>` (health and readiness stay open). */
  adminToken?: string;
  logLevel: string;
  /** Shadow copies are shed while the event loop is busier than this (0–1; 1 = never). */
  maxEventLoopUtilization?: number;
  /** Serve the live port over TLS with these PEM files (re-read when they change); standalone may set them in the route file instead. */
  tlsCert?: string;
  tlsKey?: string;
  /** `--record DIR`, a capture of every route's exchanges for `switchyard replay` (either mode). */
  record?: RecordSettings;
  /** Processes serving the live port (node:cluster); 1 = one process, no cluster. Default: the machine's cores. */
  workers: number;
}

export class ProxyArgsError extends Error {}

/** Secrets the proxy takes from its environment (never needed on the command line, where `ps` shows them). */
export interface ProxyEnvironment {
  /** Connected: the server token. */
  SWITCHYARD_TOKEN?: string;
  /** The admin port's bearer token. */
  SWITCHYARD_PROXY_ADMIN_TOKEN?: string;
}

export const PROXY_USAGE = [
  'usage: switchyard proxy --config routes.yml [--port 8080] [--admin-port 8081] [--host 0.0.0.0] [--admin-host 127.0.0.1] [--log-level info]',
  '       switchyard proxy --server URL (--token-file F | SWITCHYARD_TOKEN=T) [--environment production] [--report-interval-ms 10000] …',
  '       either mode: [--max-event-loop-utilization 0.9]  shed shadow copies while the event loop is busier than this (1: never)',
  '                    [--admin-token-file F | SWITCHYARD_PROXY_ADMIN_TOKEN=T]  the admin port needs this bearer token (health stays open)',
  '       either mode: [--workers N]  processes sharing the live port (default: one per core; 1: a single process)',
  '       either mode: [--tls-cert cert.pem --tls-key key.pem]  serve the live port over HTTPS; rotated files are picked up without a restart',
  '       WebSocket and other upgrades pass through to the primary, never mirrored; POST/PUT/PATCH/DELETE are mirrored only',
  '       where a route sets mirrorUnsafe (only for a candidate whose writes go nowhere)',
  RECORD_USAGE,
].join('\n');

export const MAX_WORKERS = 64;

/** One worker per core the process may use (cgroup and affinity limits included), within the bound. */
export function defaultWorkers(): number {
  return Math.min(MAX_WORKERS, Math.max(1, availableParallelism()));
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** Parses `--name value` and `--name=value`; `help: true` when --help was asked for. */
export function parseProxyArgs(argv: readonly string[], env: ProxyEnvironment = {}): ProxyArgs | { help: true } {
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
  const known = [
    'config',
    'port',
    'admin-port',
    'host',
    'admin-host',
    'admin-token-file',
    'log-level',
    'server',
    'token',
    'token-file',
    'environment',
    'report-interval-ms',
    'max-event-loop-utilization',
    'tls-cert',
    'tls-key',
    'workers',
    ...RECORD_OPTIONS,
  ];
  for (const name of values.keys()) {
    if (!known.includes(name)) throw new ProxyArgsError(`unknown option --${name}`);
  }
  const config = values.get('config');
  const server = values.get('server');
  if (config && server) throw new ProxyArgsError('use either --config (standalone) or --server (connected), not both');
  if (!config && !server) throw new ProxyArgsError('--config <routes.yml> is required (or --server URL to run connected)');
  const logLevel = values.get('log-level') ?? 'info';
  if (!LOG_LEVELS.includes(logLevel)) throw new ProxyArgsError(`--log-level must be one of ${LOG_LEVELS.join(', ')}`);
  const port = portOf('port', values.get('port') ?? '8080');
  const adminPort = portOf('admin-port', values.get('admin-port') ?? '8081');
  if (port === adminPort && port !== 0) throw new ProxyArgsError('--port and --admin-port must differ');
  const utilization = values.get('max-event-loop-utilization');
  if (utilization !== undefined && !(/^(0(\.\d+)?|1(\.0+)?)$/.test(utilization) && Number(utilization) > 0)) {
    throw new ProxyArgsError(`--max-event-loop-utilization must be a number above 0 and at most 1, got "${utilization}"`);
  }
  const workers = values.get('workers');
  if (workers !== undefined && !(/^\d+$/.test(workers) && Number(workers) >= 1 && Number(workers) <= MAX_WORKERS)) {
    throw new ProxyArgsError(`--workers must be a whole number from 1 to ${MAX_WORKERS}, got "${workers}"`);
  }
  const adminTokenFile = values.get('admin-token-file');
  const adminToken = adminTokenFile !== undefined ? secretFile('admin-token-file', adminTokenFile) : env.SWITCHYARD_PROXY_ADMIN_TOKEN || undefined;
  if (adminToken !== undefined && adminToken.length < 16) throw new ProxyArgsError('the admin token must be at least 16 characters');
  const common = {
    port,
    adminPort,
    host: values.get('host') ?? '0.0.0.0',
    adminHost: values.get('admin-host') ?? '127.0.0.1',
    ...(adminToken !== undefined ? { adminToken } : {}),
    logLevel,
    ...(utilization !== undefined ? { maxEventLoopUtilization: Number(utilization) } : {}),
    workers: workers !== undefined ? Number(workers) : defaultWorkers(),
  } as Omit<ProxyArgs, 'config' | 'server'>;
  const tlsCert = values.get('tls-cert');
  const tlsKey = values.get('tls-key');
  if ((tlsCert === undefined) !== (tlsKey === undefined)) throw new ProxyArgsError('--tls-cert and --tls-key go together: give both or neither');
  const { record, problem } = parseRecordArgs(values);
  if (problem) throw new ProxyArgsError(problem);
  if (record) common.record = record;
  if (tlsCert !== undefined) [common.tlsCert, common.tlsKey] = [tlsCert, tlsKey];
  if (config) {
    for (const name of ['token', 'token-file', 'environment', 'report-interval-ms'])
      if (values.has(name)) throw new ProxyArgsError(`--${name} only applies with --server`);
    return { config, ...common };
  }
  if (!/^https?:\/\/[^/]/.test(server!)) throw new ProxyArgsError(`--server must be an http:// or https:// URL, got "${server}"`);
  if (values.has('token') && values.has('token-file')) throw new ProxyArgsError('use either --token or --token-file, not both');
  const tokenFile = values.get('token-file');
  const token = tokenFile !== undefined ? secretFile('token-file', tokenFile) : (values.get('token') ?? (env.SWITCHYARD_TOKEN || undefined));
  if (!token) {
    throw new ProxyArgsError('--server needs a token: --token-file F or SWITCHYARD_TOKEN (scopes sdk:<environment> and mirror:report:<route>)');
  }
  const interval = values.get('report-interval-ms') ?? '10000';
  if (!/^\d+$/.test(interval) || Number(interval) < 100) throw new ProxyArgsError(`--report-interval-ms must be a number ≥ 100, got "${interval}"`);
  return { server: server!, token, environment: values.get('environment') ?? 'production', reportIntervalMs: Number(interval), ...common };
}

/** A secret from a file (a mounted Kubernetes Secret, say): its first line, never echoed. */
function secretFile(option: string, path: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ProxyArgsError(`--${option}: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  const secret = text.split(/\r?\n/)[0].trim();
  if (secret === '') throw new ProxyArgsError(`--${option}: ${path} is empty`);
  return secret;
}

function portOf(name: string, value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535) throw new ProxyArgsError(`--${name} must be a port number (0–65535), got "${value}"`);
  return port;
}
