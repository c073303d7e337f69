import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { sendShadow, ShadowUpstream, targetPath, type ShadowRequest } from './shadow-call';

describe('sendShadow', () => {
  let server: http.Server;
  let upstream: ShadowUpstream;
  let connections = 0;
  const seen: { url?: string; headers: http.IncomingHttpHeaders; body: string }[] = [];

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        seen.push({ url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString() });
        const path = (req.url ?? '').replace(/^\/base/, '');
        if (path === '/hang') return;
        if (path === '/declared-big') {
          res.writeHead(200, { 'content-length': 10_000 });
          res.end('x'.repeat(10_000));
          return;
        }
        if (path === '/streamed-big') {
          res.writeHead(200);
          for (let i = 0; i < 10; i++) res.write('y'.repeat(1000));
          res.end();
          return;
        }
        res.writeHead(201, { 'content-type': 'text/plain' });
        res.end('ok');
      });
    });
    server.on('connection', () => connections++);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    upstream = new ShadowUpstream(new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/base/`), 4);
  });

  afterAll(async () => {
    await upstream.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const request = (url: string, extra: Partial<ShadowRequest> = {}): ShadowRequest => ({
    upstream,
    method: 'POST',
    url,
    headers: { 'x-switchyard-shadow': '1', 'content-length': '5' },
    body: Buffer.from('hello'),
    timeoutMs: 500,
    maxBodyBytes: 5000,
    ...extra,
  });

  it('joins the target path, sends the body and captures the response', async () => {
    const result = await sendShadow(request('/ok?x=1')).result;
    expect(result).toMatchObject({ ok: true, response: { status: 201, headers: { 'content-type': 'text/plain' } } });
    expect(result.ok && result.response.body.toString()).toBe('ok');
    expect(seen.at(-1)).toMatchObject({ url: '/base/ok?x=1', body: 'hello', headers: { 'x-switchyard-shadow': '1' } });
    expect(targetPath(new URL('http://h:1'), '/a?b')).toBe('/a?b');
  });

  it('gives up after timeoutMs', async () => {
    const result = await sendShadow(request('/hang', { timeoutMs: 100 })).result;
    expect(result).toMatchObject({ ok: false, reason: 'timeout' });
    expect(result.ms).toBeGreaterThanOrEqual(99);
    expect(result.ms).toBeLessThan(400);
  });

  it('refuses bodies past maxBodyBytes, declared or streamed', async () => {
    expect(await sendShadow(request('/declared-big')).result).toMatchObject({
      ok: false,
      reason: 'tooLarge',
      detail: expect.stringContaining('content-length 10000'),
    });
    expect(await sendShadow(request('/streamed-big')).result).toMatchObject({ ok: false, reason: 'tooLarge', detail: expect.stringContaining('body exceeds') });
  });

  it('reports a refused connection and can be cancelled', async () => {
    const closed = await new Promise<number>((resolve) => {
      const probe = http.createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as AddressInfo;
        probe.close(() => resolve(port));
      });
    });
    const refusing = new ShadowUpstream(new URL(`http://127.0.0.1:${closed}`), 1);
    expect(await sendShadow(request('/x', { upstream: refusing })).result).toMatchObject({
      ok: false,
      reason: 'error',
      detail: 'ECONNREFUSED',
    });
    await refusing.close();
    const call = sendShadow(request('/hang'));
    call.cancel();
    expect(await call.result).toMatchObject({ ok: false, reason: 'cancelled' });
  });

  it('reuses at most its own bounded set of keep-alive connections, and a timed-out call leaves it usable', async () => {
    await sendShadow(request('/ok')).result;
    const before = connections;
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => sendShadow(request(`/ok?n=${i}`)).result));
    expect(results.every((result) => result.ok)).toBe(true);
    // The pool holds 4 connections; the first is still open from the call before.
    expect(connections - before).toBeLessThanOrEqual(3);
    expect(await sendShadow(request('/hang', { timeoutMs: 50 })).result).toMatchObject({ ok: false, reason: 'timeout' });
    expect(await sendShadow(request('/ok')).result).toMatchObject({ ok: true, response: { status: 201 } });
  });

  it('reads chunked responses whole', async () => {
    const result = await sendShadow(request('/streamed-big', { maxBodyBytes: 20_000 })).result;
    expect(result.ok && result.response.body.toString()).toBe('y'.repeat(10_000));
  });
});
