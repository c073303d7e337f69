import type { ServerResponse } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';

/** Takes the response over from Fastify and opens an SSE stream, keeping headers set by hooks (request id, CORS). */
export function openEventStream(request: FastifyRequest, reply: FastifyReply): ServerResponse {
  void reply.hijack();
  const raw = reply.raw;
  const inherited = reply.getHeaders() as Record<string, string | string[] | number>;
  raw.writeHead(200, {
    ...inherited,
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    // Tell nginx-style proxies not to buffer the stream.
    'x-accel-buffering': 'no',
  });
  request.raw.socket.setNoDelay(true);
  request.raw.socket.setKeepAlive(true);
  return raw;
}
