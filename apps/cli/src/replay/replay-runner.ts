import http from 'node:http';
import https from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  CaptureRedactor,
  darkLaunchVerdict,
  decodeBody,
  MirrorAnalysis,
  mirrorRouteSchema,
  REDACTED,
  type CapturedResponse,
  type CaptureRecordLine,
  type CaptureRouteLine,
  type DarkLaunchVerdict,
  type MirrorRoute,
  type RouteReport,
} from '@switchyard/mirror';
import { CommandError } from '../cli-io';
import type { Capture } from './capture-reader';

export interface ReplayOptions {
  candidate: URL;
  /** A live primary: its answers against the recording measure the noise (timestamps, ids). */
  primary?: URL;
  /** 1 = the captured pace; 5 = five times faster. */
  speed: number;
  timeoutMs: number;
  /** Requests in flight at once; past it the replay falls behind the captured pace rather than pile up. */
  concurrency: number;
  /** Headers sent with every replayed request (credentials for the candidate, which the capture never holds). */
  headers: Record<string, string>;
  minCompared?: number;
  route?: string;
}

export interface ReplayResult {
  routes: Array<{ report: RouteReport; verdict: DarkLaunchVerdict }>;
  outcome: DarkLaunchVerdict['outcome'];
  replayed: number;
  durationMs: number;
  capturedSpanMs: number;
  speed: number;
  /** How far behind the captured pace the slowest send started (concurrency or a slow target). */
  maxLagMs: number;
}

// Hop-by-hop headers (RFC 9110 §7.6.1) and what the replay sets itself.
const NOT_REPLAYED = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'expect',
  'host',
  'content-length',
]);
export const REPLAY_HEADER = 'x-switchyard-replay';
/** Connection failures that mean the target is down, not that one request went wrong. */
const TARGET_DOWN = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);

class TargetDownError extends Error {}

interface RouteState {
  route: MirrorRoute;
  analysis: MirrorAnalysis;
  redactor: CaptureRedactor;
  /** A request seen before → its recorded primary response: two recordings of one request measure noise without a live primary. */
  earlier: Map<string, CapturedResponse>;
}

const MAX_REMEMBERED_REQUESTS = 10_000;

/**
 * Re-sends captured requests at the captured pace (or `speed` times it) and compares the
 * candidate's answers with the recorded primary's, through the same MirrorAnalysis, noise
 * cancellation, report and dark-launch verdict as live mirroring.
 */
export async function replayCapture(capture: Capture, options: ReplayOptions): Promise<ReplayResult> {
  const states = new Map<string, RouteState>();
  const stateOf = (name: string): RouteState => {
    let state = states.get(name);
    if (!state) {
      const route = replayRoute(name, capture.routes.get(name), options);
      const line = capture.routes.get(name);
      state = {
        route,
        analysis: new MirrorAnalysis(route),
        redactor: new CaptureRedactor({ headers: line?.redact.headers ?? route.scrubHeaders, paths: line?.redact.paths ?? [] }),
        earlier: new Map(),
      };
      states.set(name, state);
    }
    return state;
  };
  const exchanges = capture.exchanges.filter((exchange) => options.route === undefined || exchange.record.route === options.route);
  if (exchanges.length === 0) {
    throw new CommandError(options.route ? `the capture holds no exchanges of route ${options.route}` : 'the capture holds no exchanges');
  }
  const agents = {
    http: new http.Agent({ keepAlive: true, maxSockets: options.concurrency }),
    https: new https.Agent({ keepAlive: true, maxSockets: options.concurrency }),
  };
  const first = exchanges[0].at;
  const capturedSpanMs = exchanges[exchanges.length - 1].at - first;
  const started = performance.now();
  let maxLagMs = 0;
  let down: TargetDownError | undefined;
  const inFlight = new Set<Promise<void>>();
  try {
    for (const { at, record } of exchanges) {
      if (down) break;
      const due = started + (at - first) / options.speed;
      const wait = due - performance.now();
      if (wait > 1) await sleep(wait);
      while (inFlight.size >= options.concurrency) await Promise.race(inFlight);
      maxLagMs = Math.max(maxLagMs, performance.now() - due);
      const state = stateOf(record.route);
      const task = replayOne(state, record, options, agents).catch((error: unknown) => {
        if (error instanceof TargetDownError) down ??= error;
        else throw error;
      });
      inFlight.add(task);
      void task.finally(() => inFlight.delete(task));
    }
    await Promise.all(inFlight);
  } finally {
    agents.http.destroy();
    agents.https.destroy();
  }
  if (down) throw new CommandError(down.message);
  const durationMs = performance.now() - started;
  const routes = [...states.values()].map(({ route, analysis }) => {
    const report = analysis.report();
    const verdict = darkLaunchVerdict(report, route.verdict, { route: route.name, sample: 100, timeout: 'the replay' });
    return { report, verdict };
  });
  const outcome = routes.some((route) => route.verdict.outcome === 'fail')
    ? 'fail'
    : routes.some((route) => route.verdict.outcome === 'insufficient-data')
      ? 'insufficient-data'
      : 'pass';
  return { routes, outcome, replayed: exchanges.length, durationMs, capturedSpanMs, speed: options.speed, maxLagMs };
}

/** The recorded route's compare rules, as a MirrorRoute the analysis understands. */
function replayRoute(name: string, line: CaptureRouteLine | undefined, options: ReplayOptions): MirrorRoute {
  return mirrorRouteSchema.parse({
    name,
    primary: options.candidate.href,
    candidate: options.candidate.href,
    ...(options.primary ? { secondary: options.primary.href } : {}),
    sample: { percent: 100 },
    maxBodyBytes: line?.maxBodyBytes ?? 1_048_576,
    scrubHeaders: line?.redact.headers ?? [],
    endpoints: line?.endpoints ?? [],
    compare: {
      ignore: line?.compare.ignore ?? [],
      unorderedArrays: line?.compare.unorderedArrays ?? [],
      headers: line?.compare.headers ?? [],
      ...(line ? { noise: line.noise } : {}),
      // No calibration replays: the noise baseline is the live primary, or an earlier recording.
      calibration: { percent: 0, minPerEndpoint: 0 },
    },
    verdict: { ...(line?.verdict ?? {}), ...(options.minCompared !== undefined ? { minCompared: options.minCompared } : {}) },
  });
}

async function replayOne(state: RouteState, record: CaptureRecordLine, options: ReplayOptions, agents: { http: http.Agent; https: http.Agent }): Promise<void> {
  const { analysis, redactor } = state;
  const { method, url } = record.request;
  const endpoint = analysis.endpointOf(method, url);
  analysis.recordSeen(endpoint);
  analysis.recordSampled(endpoint);
  const body = decodeBody(record.request.body);
  const limit = state.route.maxBodyBytes * 8;
  const [candidate, live] = await Promise.all([
    send(options.candidate, record, body, options, agents, limit),
    options.primary ? send(options.primary, record, body, options, agents, limit) : Promise.resolve(undefined),
  ]);
  if (!candidate.ok) {
    analysis.recordSkipped(endpoint, candidate.reason === 'timeout' ? 'candidateTimeout' : candidate.reason === 'tooLarge' ? 'bodyTooLarge' : 'candidateError');
    return;
  }
  const primary: CapturedResponse = { status: record.primary.status, headers: record.primary.headers, body: decodeBody(record.primary.body) };
  // The same masking and decoding as the recording, so neither ever shows up as a difference.
  const key = `${method} ${url}\n${body.toString('base64')}`;
  let baseline: CapturedResponse | undefined;
  if (live?.ok) baseline = redactor.response(live.response);
  else if (!options.primary) baseline = state.earlier.get(key);
  if (state.earlier.size < MAX_REMEMBERED_REQUESTS || state.earlier.has(key)) state.earlier.set(key, primary);
  await analysis.recordCaptured({
    endpoint,
    request: { method, url, headers: record.request.headers },
    primary,
    candidate: redactor.response(candidate.response),
    ...(baseline ? { baseline } : {}),
    primaryMs: record.primary.ms,
    candidateMs: candidate.ms,
  });
}

type SendResult = { ok: true; response: CapturedResponse; ms: number } | { ok: false; reason: 'timeout' | 'tooLarge' | 'error' };

function send(
  target: URL,
  record: CaptureRecordLine,
  body: Buffer,
  options: ReplayOptions,
  agents: { http: http.Agent; https: http.Agent },
  limit: number,
): Promise<SendResult> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(record.request.headers)) {
    // Masked values are not credentials; the candidate gets --header ones instead.
    if (NOT_REPLAYED.has(name) || value === REDACTED) continue;
    headers[name] = value;
  }
  Object.assign(headers, options.headers);
  headers.host = target.host;
  headers[REPLAY_HEADER] = '1';
  if (body.length > 0 || record.request.method !== 'GET') headers['content-length'] = String(body.length);
  const base = target.pathname.replace(/\/$/, '');
  const started = performance.now();
  const client = target.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const request = client.request(
      {
        protocol: target.protocol,
        hostname: target.hostname,
        port: target.port,
        path: `${base}${record.request.url}`,
        method: record.request.method,
        headers,
        agent: target.protocol === 'https:' ? agents.https : agents.http,
        timeout: options.timeoutMs,
      },
      (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > limit) {
            request.destroy();
            resolve({ ok: false, reason: 'tooLarge' });
            return;
          }
          chunks.push(chunk);
        });
        response.on('end', () =>
          resolve({
            ok: true,
            response: { status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks, size) },
            ms: performance.now() - started,
          }),
        );
        response.on('error', () => resolve({ ok: false, reason: 'error' }));
      },
    );
    request.on('timeout', () => {
      request.destroy();
      resolve({ ok: false, reason: 'timeout' });
    });
    request.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code && TARGET_DOWN.has(error.code)) reject(new TargetDownError(`${target.origin} is not answering (${error.code}); is the replay target up?`));
      else resolve({ ok: false, reason: 'error' });
    });
    request.end(body);
  });
}
