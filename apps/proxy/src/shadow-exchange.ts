import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import { SAFE_METHODS, type CapturedExchange, type HeaderValues, type MirrorRoute, type SkipReason } from '@switchyard/mirror';
import type { ShadowTarget } from './proxy-metrics';
import { sendShadow, type ShadowCall, type ShadowResult, type ShadowUpstream } from './shadow-call';

/**
 * What an exchange needs of its route (the RouteMirror): its limits, where the copies go, and
 * where the outcome is reported. Kept this narrow so the exchange can be read, and tested, alone.
 */
export interface ExchangeRoute {
  readonly route: Pick<MirrorRoute, 'timeoutMs' | 'maxBodyBytes'>;
  readonly shadows: { candidate: ShadowUpstream; secondary?: ShadowUpstream; primary: ShadowUpstream };
  /** The client's headers as a shadow copy sends them. */
  shadowHeaders(client: IncomingHttpHeaders, target: URL, bodyLength: number): OutgoingHttpHeaders;
  /** Whether this exchange should also go to a second primary to measure the endpoint's noise. */
  claimCalibration(endpoint: string): boolean;
  /** A shadow call finished (timed; the candidate's outcome also feeds the circuit breaker). */
  shadowFinished(target: ShadowTarget, result: ShadowResult): void;
  /** Compares and counts a captured exchange, then gives its in-flight slot back. */
  compare(exchange: CapturedExchange): void;
  /** Counts a skipped exchange and gives its in-flight slot back. */
  skipExchange(endpoint: string, reason: SkipReason): void;
}

interface MirroredRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
}

interface PrimaryCapture {
  status: number;
  headers: HeaderValues;
  chunks: Buffer[];
  size: number;
  ended: boolean;
  ms: number;
}

/**
 * One mirrored request from arrival to comparison. It only ever listens to the live streams
 * (a second 'data' listener beside http-proxy's pipe), so it cannot delay or alter them; it
 * buffers at most `maxBodyBytes` of each side, and gives its in-flight slot back exactly once.
 *
 * Shadow calls start only after the primary's response has been relayed to the client: the
 * candidate's bytes (up to 1 MB of garbage, say) then never compete with the response they
 * shadow. Both latencies are still measured on their own calls.
 */
export class ShadowExchange {
  private readonly requestChunks: Buffer[] = [];
  private requestSize = 0;
  private requestOverflow = false;
  private requestEnded = false;
  private dispatched = false;
  private primary?: PrimaryCapture;
  private calls: ShadowCall[] = [];
  private results?: { candidate: ShadowResult; baseline?: ShadowResult };
  private finished = false;
  private deadline?: NodeJS.Timeout;
  /**
   * What the shadow calls and the report need of the client's request. The message itself is not
   * kept: it holds the whole live exchange (sockets, http-proxy's request and response), which
   * would then outlive the client's response by a shadow call and crowd the garbage collector.
   */
  private readonly request: MirroredRequest;

  constructor(
    private readonly mirror: ExchangeRoute,
    private readonly endpoint: string,
    incoming: IncomingMessage,
    private readonly startedAt: number,
  ) {
    this.request = { method: incoming.method ?? 'GET', url: incoming.url ?? '/', headers: incoming.headers };
    // A primary that streams forever (SSE, long poll) must not pin an in-flight slot.
    const { timeoutMs } = mirror.route;
    this.deadline = setTimeout(() => this.abandon('primaryIncomplete'), timeoutMs * 2 + 1000);
  }

  /** Tees the request body; the shadow calls start once the client has sent all of it. */
  teeRequest(incoming: IncomingMessage): void {
    const limit = this.mirror.route.maxBodyBytes;
    incoming.on('data', (chunk: Buffer) => {
      if (this.requestOverflow) return;
      this.requestSize += chunk.length;
      if (this.requestSize > limit) {
        this.requestOverflow = true;
        this.requestChunks.length = 0;
        return;
      }
      this.requestChunks.push(chunk);
    });
    // `on`, not `once`: each of these fires at most once, and `once` costs a wrapper and an unhook per request.
    incoming.on('end', () => {
      this.requestEnded = true;
      this.dispatchWhenReady();
    });
    incoming.on('close', () => {
      if (!incoming.complete) this.abandon('primaryIncomplete');
    });
  }

  /** Tees the primary's response as it streams to the client. */
  teePrimary(response: IncomingMessage): void {
    // A copy: http-proxy's outgoing passes edit these headers (connection) right after this event.
    const capture: PrimaryCapture = { status: response.statusCode ?? 0, headers: { ...response.headers }, chunks: [], size: 0, ended: false, ms: 0 };
    this.primary = capture;
    const limit = this.mirror.route.maxBodyBytes;
    response.on('data', (chunk: Buffer) => {
      if (this.finished) return;
      capture.size += chunk.length;
      if (capture.size > limit) {
        capture.chunks.length = 0;
        this.abandon('bodyTooLarge');
        return;
      }
      capture.chunks.push(chunk);
    });
    response.on('end', () => {
      capture.ended = true;
      capture.ms = performance.now() - this.startedAt;
      this.dispatchWhenReady();
    });
    response.on('close', () => {
      if (!capture.ended) this.abandon('primaryIncomplete');
    });
  }

  primaryFailed(): void {
    this.abandon('primaryIncomplete');
  }

  private dispatchWhenReady(): void {
    if (this.dispatched || !this.requestEnded || !this.primary?.ended) return;
    this.dispatched = true;
    // This runs inside the primary's 'end', before http-proxy's pipe ends the client's response.
    // One immediate for every exchange that became ready in this turn of the loop.
    readyToDispatch.push(this);
    if (readyToDispatch.length === 1) setImmediate(dispatchReady);
  }

  /** Sends the shadow calls (from dispatchReady, once the primary's response is on its way out). */
  dispatchNow(): void {
    if (this.finished) return;
    clearTimeout(this.deadline);
    if (this.requestOverflow) {
      this.abandon('bodyTooLarge');
      return;
    }
    const { route } = this.mirror;
    const body = joinChunks(this.requestChunks, this.requestSize);
    this.requestChunks.length = 0;
    const { method } = this.request;
    const call = (upstream: ShadowUpstream): ShadowCall => {
      const shadow = sendShadow({
        upstream,
        method,
        url: this.request.url,
        headers: this.mirror.shadowHeaders(this.request.headers, upstream.target, body.length),
        body,
        timeoutMs: route.timeoutMs,
        maxBodyBytes: route.maxBodyBytes,
      });
      this.calls.push(shadow);
      return shadow;
    };

    const { shadows } = this.mirror;
    const candidate = call(shadows.candidate);
    let baseline: ShadowCall | undefined;
    if (shadows.secondary) baseline = call(shadows.secondary);
    else if (SAFE_METHODS.includes(method) && this.mirror.claimCalibration(this.endpoint)) baseline = call(shadows.primary);
    const baselineKind: ShadowTarget = shadows.secondary ? 'secondary' : 'primary';

    // One reaction per call instead of a Promise.all: the comparison starts once both are in.
    let candidateResult: ShadowResult | undefined;
    let baselineResult: ShadowResult | undefined;
    let waiting = baseline ? 2 : 1;
    const settled = () => {
      if (--waiting > 0) return;
      this.results = { candidate: candidateResult!, baseline: baselineResult };
      this.complete();
    };
    void candidate.result.then((result) => {
      candidateResult = result;
      try {
        this.mirror.shadowFinished('candidate', result);
      } finally {
        settled();
      }
    });
    void baseline?.result.then((result) => {
      baselineResult = result;
      try {
        this.mirror.shadowFinished(baselineKind, result);
      } finally {
        settled();
      }
    });
  }

  private complete(): void {
    if (this.finished || !this.results || !this.primary) return;
    this.finished = true;
    const { candidate, baseline } = this.results;
    if (!candidate.ok) {
      this.finishSkipped(candidate.reason === 'timeout' ? 'candidateTimeout' : candidate.reason === 'tooLarge' ? 'bodyTooLarge' : 'candidateError');
      return;
    }
    const primary = this.primary;
    this.mirror.compare({
      endpoint: this.endpoint,
      request: this.request,
      primary: { status: primary.status, headers: primary.headers, body: joinChunks(primary.chunks, primary.size) },
      candidate: candidate.response,
      baseline: baseline?.ok ? baseline.response : undefined,
      primaryMs: primary.ms,
      candidateMs: candidate.ms,
    });
  }

  private finishSkipped(reason: SkipReason): void {
    this.mirror.skipExchange(this.endpoint, reason);
  }

  private abandon(reason: SkipReason): void {
    if (this.finished) return;
    this.finished = true;
    clearTimeout(this.deadline);
    for (const call of this.calls) call.cancel();
    this.finishSkipped(reason);
  }
}

/** Exchanges whose shadow calls go out in the next check phase (see dispatchWhenReady). */
let readyToDispatch: ShadowExchange[] = [];

function dispatchReady(): void {
  const ready = readyToDispatch;
  readyToDispatch = [];
  for (const exchange of ready) {
    try {
      exchange.dispatchNow();
    } catch (error) {
      // As uncaught as it was with an immediate of its own, without taking the others' calls with it.
      queueMicrotask(() => {
        throw error;
      });
    }
  }
}

const EMPTY = Buffer.alloc(0);

/** A body in one piece; none (a GET) or a single chunk (the usual small body) costs no copy. */
function joinChunks(chunks: Buffer[], size: number): Buffer {
  if (chunks.length === 0) return EMPTY;
  return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size);
}
