import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { formatPercent } from '@switchyard/mirror';
import { parseCommandArgs } from '../cli-arguments';
import { EXIT_FAILED, EXIT_OK, UsageError, type CliIo } from '../cli-io';
import { readCapture } from './capture-reader';
import { replayCapture, type ReplayResult } from './replay-runner';

export const REPLAY_USAGE = `switchyard replay --capture DIR --candidate URL [--primary URL] [--speed 1] [--json] [--out report.json]
                 [--header 'Name: value']… [--route NAME] [--min-compared N] [--timeout-ms 5000] [--concurrency 64] [--allow-partial]
  Re-sends the requests a proxy recorded (switchyard proxy --record DIR, or a route's record:) at the captured pace,
  or --speed times it, and compares the candidate's answers with the recorded primary's: the same report and
  dark-launch verdict as live mirroring. --primary also replays to a live primary to cancel noise (timestamps,
  ids); without it, two recordings of the same request measure it. Masked headers (Authorization, Cookie…) are
  not sent: give the candidate's credentials with --header. Exit 0 on pass, 1 on fail, insufficient data or a
  target that is down, 2 on bad usage. A truncated capture stops with its file and line unless --allow-partial.`;

const OPTIONS = {
  capture: { type: 'string' },
  candidate: { type: 'string' },
  primary: { type: 'string' },
  speed: { type: 'string' },
  json: { type: 'boolean' },
  out: { type: 'string' },
  header: { type: 'string', multiple: true },
  route: { type: 'string' },
  'min-compared': { type: 'string' },
  'timeout-ms': { type: 'string' },
  concurrency: { type: 'string' },
  'allow-partial': { type: 'boolean' },
} as const;

export async function replayCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('replay', args, OPTIONS);
  if (positionals.length > 0) throw new UsageError(`replay: unexpected argument "${positionals[0]}"`);
  if (!values.capture) throw new UsageError('replay: --capture DIR is required (a directory written by switchyard proxy --record)');
  if (!values.candidate) throw new UsageError('replay: --candidate URL is required');
  const candidate = urlOption('candidate', values.candidate);
  const primary = values.primary !== undefined ? urlOption('primary', values.primary) : undefined;
  const speed = numberOption('speed', values.speed ?? '1', (n) => n > 0 && n <= 10_000, 'a number above 0 (2 = twice the captured pace)');
  const timeoutMs = numberOption('timeout-ms', values['timeout-ms'] ?? '5000', (n) => Number.isInteger(n) && n >= 1, 'a whole number of milliseconds ≥ 1');
  const concurrency = numberOption(
    'concurrency',
    values.concurrency ?? '64',
    (n) => Number.isInteger(n) && n >= 1 && n <= 10_000,
    'a whole number from 1 to 10000',
  );
  const minCompared =
    values['min-compared'] !== undefined
      ? numberOption('min-compared', values['min-compared'], (n) => Number.isInteger(n) && n >= 1, 'a whole number ≥ 1')
      : undefined;
  const headers: Record<string, string> = {};
  for (const header of values.header ?? []) {
    const colon = header.indexOf(':');
    if (colon <= 0) throw new UsageError(`replay: --header must be "Name: value", got "${header}"`);
    headers[header.slice(0, colon).trim().toLowerCase()] = header.slice(colon + 1).trim();
  }

  const capture = await readCapture(resolve(io.cwd, values.capture), { allowPartial: values['allow-partial'] === true });
  if (capture.damage) io.stderr.write(`switchyard: ${capture.damage}; replaying the ${capture.exchanges.length} exchanges before it\n`);
  const result = await replayCapture(capture, {
    candidate,
    ...(primary ? { primary } : {}),
    speed,
    timeoutMs,
    concurrency,
    headers,
    ...(minCompared !== undefined ? { minCompared } : {}),
    ...(values.route !== undefined ? { route: values.route } : {}),
  });
  const document = {
    outcome: result.outcome,
    replay: {
      capture: values.capture,
      segments: capture.segments,
      exchanges: result.replayed,
      speed: result.speed,
      capturedSpanMs: Math.round(result.capturedSpanMs),
      durationMs: Math.round(result.durationMs),
      maxLagMs: Math.round(result.maxLagMs),
      ...(capture.damage ? { damage: capture.damage } : {}),
    },
    verdicts: result.routes.map(({ verdict, report }) => ({ route: report.route, ...verdict })),
    report: { generatedAt: new Date().toISOString(), routes: result.routes.map(({ report }) => report) },
  };
  if (values.out) writeFileSync(resolve(io.cwd, values.out), `${JSON.stringify(document, null, 2)}\n`);
  io.stdout.write(values.json ? `${JSON.stringify(document)}\n` : formatResult(result));
  return result.outcome === 'pass' ? EXIT_OK : EXIT_FAILED;
}

function formatResult(result: ReplayResult): string {
  const lines = [
    `replayed ${result.replayed} exchanges in ${(result.durationMs / 1000).toFixed(2)} s ` +
      `(captured over ${(result.capturedSpanMs / 1000).toFixed(2)} s, speed ${result.speed}×, at most ${Math.round(result.maxLagMs)} ms behind pace)`,
  ];
  for (const { report, verdict } of result.routes) {
    lines.push(`route ${report.route}: ${verdict.outcome} — ${verdict.reason}`);
    for (const endpoint of report.endpoints) {
      if (endpoint.compared === 0 && endpoint.fields.length === 0) continue;
      lines.push(
        `  ${endpoint.endpoint}: ${endpoint.compared} compared, ${endpoint.mismatched.afterNoise} differ after noise (${endpoint.mismatched.raw} before)`,
      );
      for (const field of endpoint.fields) {
        const share = endpoint.compared > 0 ? formatPercent((field.raw / endpoint.compared) * 100) : '0 %';
        lines.push(`    ${field.significant ? 'differs ' : 'noise   '} ${field.field}  ${share} of comparisons (noise ${Math.round(field.noise)})`);
      }
    }
  }
  return `${lines.join('\n')}\n`;
}

function urlOption(name: string, value: string): URL {
  try {
    const url = new URL(value);
    if ((url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '') return url;
  } catch {
    // Falls through to the usage error.
  }
  throw new UsageError(`replay: --${name} must be an http:// or https:// URL, got "${value}"`);
}

function numberOption(name: string, value: string, valid: (n: number) => boolean, expected: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || !valid(n)) throw new UsageError(`replay: --${name} must be ${expected}, got "${value}"`);
  return n;
}
