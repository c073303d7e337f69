// Upstreams for the mirror suites, run in their own process so that their work never lands on
// the event loop of the proxy being measured. Usage:
//   node fixture-server.mjs '{"primary":"primary","candidate":"changed"}'
// prints one JSON line {"primary":"http://127.0.0.1:…",…} once all listen; exits when stdin closes.
//
// Flavours: `primary` is the live version; `match` differs only in a timestamp and a request id;
// `changed` also changes the price on /quotes/:symbol; `slow` answers after 3 s; `huge` answers
// 50 MB; `garbage` speaks no HTTP on every other connection and sends random bytes labelled JSON
// on the rest. Every HTTP fixture records requests, served at GET /__fixture/requests.
import { randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import { answerContent } from './content-fixtures.mjs';
import { gzipSync } from 'node:zlib';

export const SLOW_MS = 3000;
const HUGE_BYTES = 50 * 1024 * 1024;
const STATIC = {
  small: Buffer.from(JSON.stringify({ name: 'small', data: 'x'.repeat(2000) })),
  big: Buffer.from(JSON.stringify({ name: 'big', data: 'y'.repeat(2 * 1024 * 1024) })),
  gzip: gzipSync(JSON.stringify({ name: 'gzip', items: Array.from({ length: 200 }, (_, i) => ({ i, v: `value-${i}` })) })),
};

function priceOf(symbol) {
  let sum = 0;
  for (const char of symbol) sum += char.charCodeAt(0);
  return Math.round(sum * 1.37 * 100) / 100;
}

// Fine enough that two responses never share it, as with a real clock field.
const preciseTimestamp = () => performance.timeOrigin + performance.now();

function sendJson(request, response, status, value) {
  const text = JSON.stringify(value);
  if (/\bgzip\b/.test(String(request.headers['accept-encoding'] ?? ''))) {
    const body = gzipSync(text);
    response.writeHead(status, { 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': body.length });
    response.end(body);
    return;
  }
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}

function streamHuge(response, chunked) {
  response.writeHead(200, chunked ? { 'content-type': 'application/json' } : { 'content-type': 'application/json', 'content-length': HUGE_BYTES });
  const chunk = Buffer.alloc(64 * 1024, 0x61);
  let sent = 0;
  const pump = () => {
    while (sent < HUGE_BYTES && !response.destroyed) {
      sent += chunk.length;
      if (!response.write(chunk)) {
        response.once('drain', pump);
        return;
      }
    }
    if (!response.destroyed) response.end();
  };
  response.on('error', () => undefined);
  pump();
}

function answer(flavour, request, response, body) {
  const parts = new URL(request.url ?? '/', 'http://fixture').pathname.split('/').filter((part) => part !== '');
  if (flavour === 'huge') return streamHuge(response, parts[0] === 'quotes');
  if (parts[0] === 'content') return answerContent(flavour, parts.slice(1), response);
  if (parts[0] === 'quotes' && parts.length === 2 && request.method === 'GET') {
    const symbol = parts[1];
    const price = priceOf(symbol) + (flavour === 'changed' ? 1 : 0);
    return sendJson(request, response, 200, {
      symbol,
      price,
      currency: 'USD',
      timestamp: preciseTimestamp(),
      requestId: randomUUID(),
      venues: ['XNYS', 'XNAS'],
    });
  }
  if (parts[0] === 'users' && parts.length === 2 && request.method === 'GET') {
    return sendJson(request, response, 200, { id: parts[1], name: `user ${parts[1]}`, plan: 'pro', timestamp: preciseTimestamp(), requestId: randomUUID() });
  }
  if (parts[0] === 'static') {
    if (parts[1] === 'chunked') {
      response.writeHead(200, { 'content-type': 'application/json', 'x-fixture': 'chunked' });
      for (let i = 0; i < STATIC.small.length; i += 500) response.write(STATIC.small.subarray(i, i + 500));
      return response.end();
    }
    const bytes = STATIC[parts[1]] ?? STATIC.small;
    response.writeHead(200, {
      'content-type': 'application/json',
      'content-length': bytes.length,
      etag: '"static-1"',
      'cache-control': 'max-age=60',
      ...(parts[1] === 'gzip' ? { 'content-encoding': 'gzip' } : {}),
    });
    return response.end(bytes);
  }
  if (parts[0] === 'orders' && request.method === 'POST') return sendJson(request, response, 201, { accepted: true, bytes: Buffer.byteLength(body) });
  return sendJson(request, response, 404, { error: 'not found' });
}

function startHttp(flavour) {
  const requests = [];
  const server = http.createServer((request, response) => {
    if (request.url === '/__fixture/requests') {
      const text = JSON.stringify(requests);
      response.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      return response.end(text);
    }
    const chunks = [];
    request.on('data', (chunk) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      requests.push({ method: request.method, url: request.url, headers: request.headers, body });
      if (flavour === 'slow') {
        setTimeout(() => response.destroyed || answer('match', request, response, body), SLOW_MS);
        return;
      }
      answer(flavour, request, response, body);
    });
  });
  server.keepAliveTimeout = 10_000;
  return server;
}

function startGarbage() {
  let connections = 0;
  return net.createServer((socket) => {
    socket.on('error', () => undefined);
    const n = connections++;
    socket.once('data', () => {
      if (n % 2 === 0) {
        socket.end(Buffer.concat([Buffer.from('\u0000\u0001NOT HTTP\r\n\r\n'), randomBytes(256)]));
      } else {
        const body = randomBytes(512);
        socket.end(
          Buffer.concat([
            Buffer.from(`HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n`),
            body,
          ]),
        );
      }
    });
  });
}

const spec = JSON.parse(process.argv[2] ?? '{}');
const urls = {};
await Promise.all(
  Object.entries(spec).map(async ([name, flavour]) => {
    const server = flavour === 'garbage' ? startGarbage() : startHttp(flavour);
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    urls[name] = `http://127.0.0.1:${server.address().port}`;
  }),
);
process.stdout.write(`${JSON.stringify(urls)}\n`);
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
