import type { LoggerService } from '@nestjs/common';
import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger } from 'pino';

/** `json`: one JSON object a line (containers, log shippers). `pretty`: readable lines for a person at a terminal. */
export type LogFormat = 'json' | 'pretty';

/**
 * JSON unless a person is watching: stdout is a terminal and the process is not in production.
 * Containers (no TTY) and NODE_ENV=production always get JSON, whatever the terminal.
 */
export function defaultLogFormat(stdoutIsTTY: boolean | undefined, nodeEnv: string | undefined): LogFormat {
  return stdoutIsTTY === true && nodeEnv !== 'production' ? 'pretty' : 'json';
}

/** Structured logs on stdout; one logger per process, children per component. */
export function createLogger(level: string, name = 'switchyard', format: LogFormat = 'json', destination?: DestinationStream): Logger {
  const options = { level, name, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime };
  if (format === 'json') return destination ? pino(options, destination) : pino(options);
  const out = destination ?? { write: (line: string) => process.stdout.write(line) };
  return pino(options, { write: (line: string) => out.write(prettyLine(line)) });
}

/**
 * Writes text as is into the logger's own output, after every line logged before it: JSON logs
 * leave through pino's buffered stream, so a plain stdout write could overtake them.
 */
export function writeThroughLog(logger: Logger, text: string): void {
  (logger as unknown as Record<symbol, DestinationStream>)[pino.symbols.streamSym].write(text);
}

const LEVEL_NAMES: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
/** Fields every line has (or that are shown elsewhere on the line). */
const SHOWN = new Set(['level', 'time', 'pid', 'hostname', 'name', 'msg', 'component', 'context', 'err']);

/** `16:04:05 INFO  [nest] message key=value …`, and an error's stack on the lines below. */
export function prettyLine(json: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json;
  }
  const time = typeof entry.time === 'string' ? entry.time.slice(11, 19) : '';
  const level = (LEVEL_NAMES[Number(entry.level)] ?? String(entry.level)).padEnd(5);
  const where = entry.component ?? entry.context;
  const fields = Object.entries(entry)
    .filter(([key, value]) => !SHOWN.has(key) && value !== undefined)
    .map(([key, value]) => `${key}=${typeof value === 'string' && !/\s/.test(value) ? value : JSON.stringify(value)}`);
  const err = entry.err as { stack?: string; message?: string } | undefined;
  const stack = err ? `\n    ${(err.stack ?? err.message ?? '').split('\n').join('\n    ')}` : '';
  return `${time} ${level} ${where ? `[${String(where)}] ` : ''}${String(entry.msg ?? '')}${fields.length ? `  ${fields.join(' ')}` : ''}${stack}\n`;
}

/**
 * Nest's start-up chatter (one line per module and per route, ~100 for this app) is for whoever
 * debugs routing, not for an operator reading a start: it goes to `debug`.
 */
const STARTUP_CONTEXTS = new Set(['InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'NestFactory', 'NestApplication']);

/** Routes Nest's own log calls (bootstrap, module init) into the same pino stream. */
export class NestPinoLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}
  log(message: unknown, context?: string): void {
    if (context !== undefined && STARTUP_CONTEXTS.has(context)) this.logger.debug({ context }, String(message));
    else this.logger.info({ context }, String(message));
  }
  error(message: unknown, trace?: string, context?: string): void {
    this.logger.error({ context, trace }, String(message));
  }
  warn(message: unknown, context?: string): void {
    this.logger.warn({ context }, String(message));
  }
  debug(message: unknown, context?: string): void {
    this.logger.debug({ context }, String(message));
  }
  verbose(message: unknown, context?: string): void {
    this.logger.trace({ context }, String(message));
  }
}
