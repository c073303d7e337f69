import { readdir, readFile, stat } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CAPTURE_SEGMENT_SUFFIX, CaptureFormatError, CaptureRedactor, decodeBody, parseCaptureSegment } from './capture-format';
import type { CaptureRecordLine, CaptureRouteLine } from './capture-format';
import { MirrorAnalysis } from './mirror-analysis';
import { mirrorRouteSchema, type MirrorRoute } from './mirror-route.schema';
import type { CapturedResponse } from './prepared-response';
import { REDACTED } from './secret-redactor';

/**
 * The replay engine shared by `switchyard replay` (apps/cli) and the server's dark-launch stage:
 * reads a capture directory written by the proxy's recorder, re-sends its requests at the captured
 * pace (or `speed` times it) and records the answers in a MirrorAnalysis — the same comparison,
 * noise cancellation and report as live mirroring. Node-only (files, sockets).
 */

export interface CapturedExchangeAt {
  /** Wall-clock milliseconds of the request's arrival at the recording proxy. */
  at: number;
  record: CaptureRecordLine;
}

export interface Capture {
  routes: Map<string, CaptureRouteLine>;
  /** In arrival order. */
  exchanges: CapturedExchangeAt[];
  segments: number;
  /** Where a damaged capture stops (file:line: what), when `allowPartial` let the replay go on. */
  damage?: string;
}

/**
 * Why a capture directory cannot be replayed. `kind` lets each caller word it for its own input
 * (the CLI names `--capture`, the server the pipeline field); `message` is a neutral default.
 */
export class CaptureReadError extends Error {
  constructor(
    readonly kind: 'not-a-directory' | 'unreadable' | 'empty' | 'format' | 'damaged',
    message: string,
    readonly detail: { dir: string; code?: string; damage?: string; before?: number } = { dir: '' },
  ) {
    super(message);
  }
}

/**
 * Reads a capture directory's segments in the order they were written. A segment of another
 * format or version stops the replay; a truncated or damaged line stops reading there, and the
 * read either refuses (the default) or, with `allowPartial`, goes on with what came before the damage.
 */
export async function readCaptureDirectory(dir: string, options: { allowPartial: boolean }): Promise<Capture> {
  let names: string[];
  try {
    if (!(await stat(dir)).isDirectory()) throw new CaptureReadError('not-a-directory', `${dir} is not a directory`, { dir });
    names = (await readdir(dir)).filter((name) => name.endsWith(CAPTURE_SEGMENT_SUFFIX)).sort();
  } catch (error) {
    if (error instanceof CaptureReadError) throw error;
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new CaptureReadError('unreadable', `${dir}: cannot read it (${code})`, { dir, code });
  }
  if (names.length === 0) throw new CaptureReadError('empty', `${dir} holds no capture segments (*${CAPTURE_SEGMENT_SUFFIX})`, { dir });
  const routes = new Map<string, CaptureRouteLine>();
  const exchanges: CapturedExchangeAt[] = [];
  let damage: string | undefined;
  let segments = 0;
  for (const name of names) {
    const file = join(dir, name);
    let segment;
    try {
      segment = parseCaptureSegment(await readFile(file, 'utf8'), file);
    } catch (error) {
      if (error instanceof CaptureFormatError) throw new CaptureReadError('format', error.message, { dir });
      const code = (error as NodeJS.ErrnoException).code ?? 'error';
      throw new CaptureReadError('unreadable', `${file}: cannot read it (${code})`, { dir, code });
    }
    segments++;
    for (const route of segment.routes) routes.set(route.name, route);
    const origin = Date.parse(segment.header.startedAt);
    for (const record of segment.records) exchanges.push({ at: origin + record.offsetMs, record });
    if (segment.damage) {
      if (!options.allowPartial) {
        throw new CaptureReadError('damaged', `${segment.damage}; ${exchanges.length} exchanges come before it`, {
          dir,
          damage: segment.damage,
          before: exchanges.length,
        });
      }
      damage = segment.damage;
      break;
    }
  }
  exchanges.sort((a, b) => a.at - b.at);
  return { routes, exchanges, segments, ...(damage ? { damage } : {}) };
}

export interface CaptureReplayOptions {
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
  /** Only this captured route's exchanges. */
  route?: string;
  /**
   * The analysis a captured route's exchanges are recorded in; default: one per captured route,
   * with the recorded compare rules (recordedRoute). The server passes the dark-launch route's.
   */
  analysisFor?: (name: string, line: CaptureRouteLine | undefined) => MirrorAnalysis;
  /** Where a target really connects (as the proxy's resolveUpstream); default: as written, through DNS. */
  connectTo?: (target: URL) => URL;
  /** Stops the replay: nothing more is sent, requests in flight are cut and not counted. */
  signal?: AbortSignal;
}

export interface CaptureReplayRun {
  /** Per captured route, in the order first replayed. */
  analyses: Map<string, MirrorAnalysis>;
  /** Exchanges selected for the replay. */
  exchanges: number;
  /** Of those, how many were sent before the end (all of them unless stopped). */
  sent: number;
  /** The signal stopped it before every exchange was replayed. */
  stopped: boolean;
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

/** A replay target refuses connections: the replay stops, since every further request would fail too. */
export class ReplayTargetDownError extends Error {}

/** The capture (or the chosen route of it) holds nothing to replay. */
export class NothingToReplayError extends Error {}

interface RouteState {
  analysis: MirrorAnalysis;
  redactor: CaptureRedactor;
  /** A request seen before → its recorded primary response: two recordings of one request measure noise without a live primary. */
  earlier: Map<string, CapturedResponse>;
  maxBodyBytes: number;
}

interface Agents {
  http: http.Agent;
  https: https.Agent;
}

const MAX_REMEMBERED_REQUESTS = 10_000;

/**
 * Re-sends captured requests at the captured pace (or `speed` times it) and compares the
 * candidate's answers with the recorded primary's, through the same MirrorAnalysis, noise
 * cancellation and report as live mirroring. Throws ReplayTargetDownError when a target refuses
 * connections (after the requests in flight settle).
 */
export async function replayCapture(capture: Capture, options: CaptureReplayOptions): Promise<CaptureReplayRun> {
  const states = new Map<string, RouteState>();
  const analysisFor = options.analysisFor ?? ((name: string, line: CaptureRouteLine | undefined) => new MirrorAnalysis(recordedRoute(name, line, options)));
  const stateOf = (name: string): RouteState => {
    let state = states.get(name);
    if (!state) {
      const line = capture.routes.get(name);
      const analysis = analysisFor(name, line);
      state = {
        analysis,
        redactor: new CaptureRedactor({ headers: line?.redact.headers ?? analysis.route.scrubHeaders, paths: line?.redact.paths ?? [] }),
        earlier: new Map(),
        maxBodyBytes: analysis.route.maxBodyBytes,
      };
      states.set(name, state);
    }
    return state;
  };
  const exchanges = capture.exchanges.filter((exchange) => options.route === undefined || exchange.record.route === options.route);
  if (exchanges.length === 0) {
    throw new NothingToReplayError(options.route ? `the capture holds no exchanges of route ${options.route}` : 'the capture holds no exchanges');
  }
  const agents: Agents = {
    http: new http.Agent({ keepAlive: true, maxSockets: options.concurrency }),
    https: new https.Agent({ keepAlive: true, maxSockets: options.concurrency }),
  };
  const signal = options.signal;
  const first = exchanges[0].at;
  const capturedSpanMs = exchanges[exchanges.length - 1].at - first;
  const started = performance.now();
  let maxLagMs = 0;
  let sent = 0;
  let down: ReplayTargetDownError | undefined;
  const inFlight = new Set<Promise<void>>();
  // Wakes the pacing sleep and the concurrency wait at once when the signal fires.
  const stopped = new Promise<void>((resolve) => {
    if (!signal) return;
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
  const onAbort = () => {
    agents.http.destroy();
    agents.https.destroy();
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    for (const { at, record } of exchanges) {
      if (down || signal?.aborted) break;
      const due = started + (at - first) / options.speed;
      const wait = due - performance.now();
      // Woken (and its timer cleared) by the signal, so a stopped replay leaves nothing pending.
      if (wait > 1) await sleep(wait, undefined, signal ? { signal } : undefined).catch(() => undefined);
      while (inFlight.size >= options.concurrency && !signal?.aborted) await Promise.race([...inFlight, stopped]);
      if (signal?.aborted) break;
      maxLagMs = Math.max(maxLagMs, performance.now() - due);
      const state = stateOf(record.route);
      sent++;
      const task = replayOne(state, record, options, agents).catch((error: unknown) => {
        if (signal?.aborted) return;
        if (error instanceof ReplayTargetDownError) down ??= error;
        else throw error;
      });
      inFlight.add(task);
      void task.finally(() => inFlight.delete(task));
    }
    await Promise.all(inFlight);
  } finally {
    signal?.removeEventListener('abort', onAbort);
    agents.http.destroy();
    agents.https.destroy();
  }
  if (down && !signal?.aborted) throw down;
  return {
    analyses: new Map([...states].map(([name, state]) => [name, state.analysis])),
    exchanges: exchanges.length,
    sent,
    stopped: signal?.aborted === true && sent < exchanges.length,
    durationMs: performance.now() - started,
    capturedSpanMs,
    speed: options.speed,
    maxLagMs,
  };
}

/** The recorded route's compare rules, as a MirrorRoute the analysis understands. */
export function recordedRoute(name: string, line: CaptureRouteLine | undefined, options: { candidate: URL; primary?: URL; minCompared?: number }): MirrorRoute {
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

async function replayOne(state: RouteState, record: CaptureRecordLine, options: CaptureReplayOptions, agents: Agents): Promise<void> {
  const { analysis, redactor } = state;
  const { method, url } = record.request;
  const endpoint = analysis.endpointOf(method, url);
  const body = decodeBody(record.request.body);
  const limit = state.maxBodyBytes * 8;
  const [candidate, live] = await Promise.all([
    send(options.candidate, record, body, options, agents, limit),
    options.primary ? send(options.primary, record, body, options, agents, limit) : Promise.resolve(undefined),
  ]);
  // Cut short by the signal: neither answer says anything about the candidate.
  if (options.signal?.aborted) return;
  analysis.recordSeen(endpoint);
  analysis.recordSampled(endpoint);
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

function send(target: URL, record: CaptureRecordLine, body: Buffer, options: CaptureReplayOptions, agents: Agents, limit: number): Promise<SendResult> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(record.request.headers)) {
    // Masked values are not credentials; the candidate gets configured ones instead.
    if (NOT_REPLAYED.has(name) || value === REDACTED) continue;
    headers[name] = value;
  }
  Object.assign(headers, options.headers);
  // Host names the target as written; the connection may go elsewhere (connectTo).
  headers.host = target.host;
  headers[REPLAY_HEADER] = '1';
  if (body.length > 0 || record.request.method !== 'GET') headers['content-length'] = String(body.length);
  const to = options.connectTo ? options.connectTo(target) : target;
  const base = to.pathname.replace(/\/$/, '');
  const started = performance.now();
  const client = to.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const request = client.request(
      {
        protocol: to.protocol,
        hostname: to.hostname,
        port: to.port,
        path: `${base}${record.request.url}`,
        method: record.request.method,
        headers,
        agent: to.protocol === 'https:' ? agents.https : agents.http,
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
      if (error.code && TARGET_DOWN.has(error.code))
        reject(new ReplayTargetDownError(`${target.origin} is not answering (${error.code}); is the replay target up?`));
      else resolve({ ok: false, reason: 'error' });
    });
    request.end(body);
  });
}
