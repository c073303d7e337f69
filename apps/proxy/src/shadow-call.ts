import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import { Pool, type Dispatcher } from 'undici';
import type { CapturedResponse } from '@switchyard/mirror';

export type ShadowResult = { ok: true; response: CapturedResponse; ms: number } | { ok: false; reason: ShadowFailure; detail: string; ms: number };

export type ShadowFailure = 'timeout' | 'error' | 'tooLarge' | 'cancelled';

export interface ShadowRequest {
  upstream: ShadowUpstream;
  method: string;
  /** Path and query as the client sent them. */
  url: string;
  headers: OutgoingHttpHeaders;
  body: Buffer;
  timeoutMs: number;
  maxBodyBytes: number;
}

export interface ShadowCall {
  readonly result: Promise<ShadowResult>;
  cancel(): void;
}

/** The path http-proxy would request: the target's base path joined with the client's path. */
export function targetPath(target: URL, url: string): string {
  const base = target.pathname === '/' ? '' : target.pathname.replace(/\/$/, '');
  return `${base}${url.startsWith('/') ? url : `/${url}`}`;
}

/**
 * Where shadow copies of one route go (its candidate, secondary or — for calibration — primary),
 * with a bounded pool of keep-alive connections of its own, so a hanging candidate never holds a
 * live socket. Shadow calls go through undici's dispatcher rather than node:http: it costs about
 * a third of the CPU per request, which is what lets 100% mirroring stay beside the live path.
 */
export class ShadowUpstream {
  private readonly pool: Pool;

  constructor(
    readonly target: URL,
    maxConnections: number,
  ) {
    this.pool = new Pool(target.origin, {
      connections: maxConnections,
      // One request per connection at a time: a slow answer must not hold up the ones behind it.
      pipelining: 1,
      keepAliveTimeout: 30_000,
    });
  }

  dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): void {
    this.pool.dispatch(options, handler);
  }

  async close(): Promise<void> {
    await this.pool.destroy().catch(() => undefined);
  }
}

/**
 * One background call. It never throws; it ends by itself after `timeoutMs` and stops reading a
 * response past `maxBodyBytes` (tearing the connection down rather than downloading a 50 MB
 * body nobody will compare).
 */
export function sendShadow(request: ShadowRequest): ShadowCall {
  const started = performance.now();
  let settle!: (result: ShadowResult) => void;
  const result = new Promise<ShadowResult>((resolve) => (settle = resolve));
  let done = false;
  let controller: Dispatcher.DispatchController | undefined;
  let status = 0;
  let headers: IncomingHttpHeaders = {};
  const chunks: Buffer[] = [];
  let size = 0;

  const finish = (outcome: { ok: true; response: CapturedResponse } | { ok: false; reason: ShadowFailure; detail: string }): void => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    if (!outcome.ok && controller && !controller.aborted) controller.abort(new Error(outcome.detail));
    settle({ ...outcome, ms: performance.now() - started });
  };
  const tooLarge = (detail: string) => finish({ ok: false, reason: 'tooLarge', detail });

  const timer = setTimeout(() => finish({ ok: false, reason: 'timeout', detail: `no complete response within ${request.timeoutMs} ms` }), request.timeoutMs);

  request.upstream.dispatch(
    {
      path: targetPath(request.upstream.target, request.url),
      method: request.method as Dispatcher.HttpMethod,
      headers: request.headers as Record<string, string | string[]>,
      body: request.body.length > 0 ? request.body : null,
    },
    {
      onRequestStart(started) {
        controller = started;
        // Cancelled while it waited for a free connection: never send it.
        if (done) started.abort(new Error('cancelled'));
      },
      onResponseStart(_controller, statusCode, responseHeaders) {
        // 1xx interim responses come first and carry no body; only the final one counts.
        if (statusCode < 200) return;
        status = statusCode;
        headers = responseHeaders;
        const declared = Number(responseHeaders['content-length']);
        if (declared > request.maxBodyBytes) tooLarge(`content-length ${declared} exceeds maxBodyBytes`);
      },
      onResponseData(_controller, chunk) {
        if (done) return;
        size += chunk.length;
        if (size > request.maxBodyBytes) tooLarge(`body exceeds maxBodyBytes (${request.maxBodyBytes})`);
        else chunks.push(chunk);
      },
      onResponseEnd() {
        finish({ ok: true, response: { status, headers, body: chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size) } });
      },
      onResponseError(_controller, error: Error & { code?: string; cause?: { code?: string } }) {
        finish({ ok: false, reason: 'error', detail: error.cause?.code ?? error.code ?? error.message });
      },
    },
  );

  return {
    result,
    cancel: () => finish({ ok: false, reason: 'cancelled', detail: 'cancelled' }),
  };
}
