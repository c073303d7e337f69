import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Principal } from '@switchyard/auth';
import { ClientOriginRegistry } from './client-origin-registry.service';
import { requestOrigin } from './client-origins';

/** Where browsers may come: evaluation (OFREP) and the client routes; /sdk/ is listed only so it is answered "no". */
const BROWSER_PATHS = ['/ofrep/', '/client/', '/sdk/'];

const ALLOW_HEADERS = 'Authorization, Content-Type, If-None-Match, Last-Event-ID, X-Switchyard-Environment';
const EXPOSE_HEADERS = 'ETag, X-Request-Id, Retry-After';

function isBrowserPath(url: string): boolean {
  return BROWSER_PATHS.some((prefix) => url.startsWith(prefix));
}

/** Whether the response to this request may be read by a page on `origin`. */
export function corsAllows(principal: Principal | undefined, origin: string, status: number, registry: ClientOriginRegistry): boolean {
  // Only client tokens are for browsers; sdk:, admin and session principals get no CORS at all.
  if (principal) return principal.client?.allowedOrigins.includes(origin) ?? false;
  // Unauthenticated refusals (unknown token…) are readable by origins some client token allows,
  // so the web SDK can say why it fell back to defaults. They carry no flag data.
  return status >= 400 && registry.has(origin);
}

/** Headers for a response a page on `origin` may read (also used by streams before they take the response over). */
export function setCorsHeaders(reply: FastifyReply, origin: string): void {
  void reply.header('access-control-allow-origin', origin).header('access-control-expose-headers', EXPOSE_HEADERS);
}

/**
 * CORS for browser SDKs: per client token, exact origins from its allow-list. A preflight carries
 * no token, so it is answered for origins some active client token allows; the real response then
 * carries Access-Control-Allow-Origin only when the calling token allows that origin.
 */
export function registerClientCors(app: NestFastifyApplication): void {
  const fastify = app.getHttpAdapter().getInstance() as unknown as FastifyInstance;
  const registry = app.get(ClientOriginRegistry);
  fastify.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
    if (!isBrowserPath(request.url)) return done();
    void reply.header('vary', 'Origin');
    if (request.method !== 'OPTIONS') return done();
    const origin = requestOrigin(request.headers);
    if (origin === undefined || !registry.has(origin) || request.url.startsWith('/sdk/')) {
      // No Access-Control-Allow-Origin: the browser refuses the real request.
      return void reply.status(204).send();
    }
    setCorsHeaders(reply, origin);
    void reply
      .header('access-control-allow-methods', 'GET, POST, OPTIONS')
      .header('access-control-allow-headers', ALLOW_HEADERS)
      .header('access-control-max-age', '600')
      .status(204)
      .send();
  });
  fastify.addHook('onSend', (request: FastifyRequest, reply: FastifyReply, payload: unknown, done: (error: null, payload: unknown) => void) => {
    const origin = requestOrigin(request.headers);
    if (origin !== undefined && request.method !== 'OPTIONS' && isBrowserPath(request.url)) {
      const principal = (request as FastifyRequest & { principal?: Principal }).principal;
      if (corsAllows(principal, origin, reply.statusCode, registry)) setCorsHeaders(reply, origin);
    }
    done(null, payload);
  });
}
