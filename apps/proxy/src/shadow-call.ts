import http from 'node:http';
import https from 'node:https';
import type { CapturedResponse } from '@switchyard/mirror';

export type ShadowResult = { ok: true; response: CapturedResponse; ms: number } | { ok: false; reason: ShadowFailure; detail: string; ms: number };

export type ShadowFailure = 'timeout' | 'error' | 'tooLarge' | 'cancelled';

export interface ShadowRequest {
  target: URL;
  agent: http.Agent;
  method: string;
  /** Path and query as the client sent them. */
  url: string;
  headers: http.OutgoingHttpHeaders;
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
 * One background call to a candidate, a secondary or (for calibration) the primary. It never
 * throws; it ends by itself after `timeoutMs` and stops reading a response past `maxBodyBytes`
 * (tearing the socket down rather than downloading a 50 MB body nobody will compare).
 */
export function sendShadow(request: ShadowRequest): ShadowCall {
  const started = performance.now();
  let settle!: (result: ShadowResult) => void;
  const result = new Promise<ShadowResult>((resolve) => (settle = resolve));
  let done = false;
  const transport = request.target.protocol === 'https:' ? https : http;
  const outgoing = transport.request({
    protocol: request.target.protocol,
    hostname: request.target.hostname,
    port: request.target.port || undefined,
    method: request.method,
    path: targetPath(request.target, request.url),
    headers: request.headers,
    agent: request.agent,
  });

  const finish = (outcome: { ok: true; response: CapturedResponse } | { ok: false; reason: ShadowFailure; detail: string }): void => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    if (!outcome.ok) outgoing.destroy();
    settle({ ...outcome, ms: performance.now() - started });
  };

  const timer = setTimeout(() => finish({ ok: false, reason: 'timeout', detail: `no complete response within ${request.timeoutMs} ms` }), request.timeoutMs);

  outgoing.on('error', (error: NodeJS.ErrnoException) => finish({ ok: false, reason: 'error', detail: error.code ?? error.message }));
  outgoing.on('response', (response) => {
    const declared = Number(response.headers['content-length']);
    if (declared > request.maxBodyBytes) {
      finish({ ok: false, reason: 'tooLarge', detail: `content-length ${declared} exceeds maxBodyBytes` });
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    response.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > request.maxBodyBytes) {
        finish({ ok: false, reason: 'tooLarge', detail: `body exceeds maxBodyBytes (${request.maxBodyBytes})` });
        return;
      }
      chunks.push(chunk);
    });
    response.on('end', () =>
      finish({ ok: true, response: { status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks, size) } }),
    );
    response.on('error', (error: NodeJS.ErrnoException) => finish({ ok: false, reason: 'error', detail: error.code ?? error.message }));
    response.on('aborted', () => finish({ ok: false, reason: 'error', detail: 'response aborted' }));
  });
  outgoing.end(request.body);

  return {
    result,
    cancel: () => finish({ ok: false, reason: 'cancelled', detail: 'cancelled' }),
  };
}
