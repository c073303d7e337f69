import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { RunningProxy } from '../../../apps/proxy/src/proxy-app';
import { freePort } from '../../support/free-port';
import { send, startFixtures, type Fixtures } from './fixture-services';
import { settled, startTestProxy } from './proxy-under-test';

/** One WebSocket frame from the server (unmasked, as RFC 6455 §5.1 requires of servers). */
function frame(opcode: number, payload: Buffer): Buffer {
  const header =
    payload.length < 126 ? Buffer.from([0x80 | opcode, payload.length]) : Buffer.from([0x80 | opcode, 126, payload.length >> 8, payload.length & 0xff]);
  return Buffer.concat([header, payload]);
}

/** A WebSocket echo upstream, written out so the test needs no WebSocket server package. */
function echoUpgrade(request: http.IncomingMessage, socket: Duplex): void {
  const accept = createHash('sha1').update(`${request.headers['sec-websocket-key']}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
  socket.write(`HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: Upgrade\r\nsec-websocket-accept: ${accept}\r\n\r\n`);
  let buffered = Buffer.alloc(0);
  socket.on('error', () => socket.destroy());
  socket.on('data', (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    for (;;) {
      if (buffered.length < 2) return;
      const opcode = buffered[0] & 0x0f;
      let length = buffered[1] & 0x7f;
      let offset = 2;
      if (length === 126) {
        if (buffered.length < 4) return;
        length = buffered.readUInt16BE(2);
        offset = 4;
      }
      const mask = offset;
      offset += 4; // clients always mask
      if (buffered.length < offset + length) return;
      const payload = Buffer.from(buffered.subarray(offset, offset + length));
      for (let i = 0; i < payload.length; i++) payload[i] ^= buffered[mask + (i % 4)];
      buffered = buffered.subarray(offset + length);
      if (opcode === 8) {
        socket.end(frame(8, payload));
        return;
      }
      if (opcode === 1 || opcode === 2) socket.write(frame(opcode, Buffer.concat([Buffer.from('echo:'), payload])));
    }
  });
}

describe('pass-through: upgrades, keep-alive, chunked bodies, opt-in unsafe mirroring', () => {
  let fixtures: Fixtures<'primary' | 'candidate' | 'unsafeCandidate'>;
  let proxy: RunningProxy;
  let echo: http.Server;

  beforeAll(async () => {
    fixtures = await startFixtures({ primary: 'primary', candidate: 'match', unsafeCandidate: 'match' });
    echo = http.createServer((_request, response) => response.end('plain'));
    echo.on('upgrade', echoUpgrade);
    await new Promise<void>((done) => echo.listen(0, '127.0.0.1', done));
    const echoUrl = `http://127.0.0.1:${(echo.address() as AddressInfo).port}`;
    const { urls } = fixtures;
    proxy = await startTestProxy([
      { name: 'ws', match: { pathPrefix: '/ws' }, primary: echoUrl, candidate: urls.candidate, sample: { percent: 100 } },
      {
        name: 'ws-down',
        match: { pathPrefix: '/ws-down' },
        primary: `http://127.0.0.1:${await freePort()}`,
        candidate: urls.candidate,
        sample: { percent: 100 },
      },
      { name: 'writes-off', match: { host: 'off.test' }, primary: urls.primary, candidate: urls.candidate, sample: { percent: 100 } },
      {
        name: 'writes-on',
        match: { host: 'on.test' },
        primary: urls.primary,
        candidate: urls.unsafeCandidate,
        sample: { percent: 100 },
        mirrorUnsafe: true,
      },
    ]);
  });

  afterAll(async () => {
    await proxy?.close();
    await new Promise((done) => echo?.close(done));
    await fixtures?.close();
  });

  const metrics = async () => (await fetch(`${proxy.adminUrl}/metrics`)).text();

  it('passes a WebSocket through to the primary and never mirrors it', async () => {
    const socket = new WebSocket(`${proxy.url.replace('http:', 'ws:')}/ws/chat`);
    await new Promise((opened, failed) => {
      socket.addEventListener('open', opened);
      socket.addEventListener('error', failed);
    });
    const replies: string[] = [];
    const received = new Promise<void>((done) =>
      socket.addEventListener('message', (event) => {
        replies.push(String(event.data));
        if (replies.length === 2) done();
      }),
    );
    socket.send('hello');
    socket.send('x'.repeat(300));
    await received;
    expect(replies).toEqual(['echo:hello', `echo:${'x'.repeat(300)}`]);
    const closed = new Promise<number>((done) => socket.addEventListener('close', (event) => done(event.code)));
    socket.close(1000);
    expect(await closed).toBe(1000);

    expect(await metrics()).toMatch(/switchyard_proxy_upgrades_total\{route="ws",result="proxied"\} 1/);
    expect(proxy.report('ws').routes[0].totals).toMatchObject({ seen: 0, sampled: 0 });
  });

  it('answers an upgrade whose primary refuses with a clean 502 and keeps serving', async () => {
    const refused = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const request = http.request(`${proxy.url}/ws-down/chat`, {
        headers: { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' },
      });
      request.on('upgrade', () => reject(new Error('upgraded to a primary that is down')));
      request.on('response', (response) => {
        let body = '';
        response.on('data', (chunk: Buffer) => (body += chunk.toString()));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      });
      request.on('error', reject);
      request.end();
    });
    expect(refused.status).toBe(502);
    expect(JSON.parse(refused.body).error.code).toBe('BAD_GATEWAY');

    // The global client sees a failed handshake, not a hang; the proxy carries on.
    const socket = new WebSocket(`${proxy.url.replace('http:', 'ws:')}/ws-down/chat`);
    await new Promise((done) => socket.addEventListener('error', done));
    expect(await metrics()).toMatch(/switchyard_proxy_upgrades_total\{route="ws-down",result="primary_error"\} 2/);
    expect((await send(`${proxy.url}/quotes/ABC`, { headers: { host: 'off.test' } })).status).toBe(200);
  });

  it('keeps client connections alive and relays chunked request bodies', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const ports = new Set<number>();
    const post = (chunks: string[]) =>
      new Promise<{ status: number; body: any }>((resolve, reject) => {
        const request = http.request(`${proxy.url}/orders`, { method: 'POST', agent, headers: { host: 'off.test', 'content-type': 'application/json' } });
        request.on('socket', (socket) => socket.once('connect', () => ports.add(socket.localPort!)));
        request.on('response', (response) => {
          let body = '';
          response.on('data', (chunk: Buffer) => (body += chunk.toString()));
          response.on('end', () => resolve({ status: response.statusCode ?? 0, body: JSON.parse(body) }));
        });
        request.on('error', reject);
        // Written in parts without a content-length: Node sends it chunked.
        for (const chunk of chunks) request.write(chunk);
        request.end();
      });
    for (let i = 0; i < 3; i++) {
      const chunks = ['{"symbol":', '"ABC",', `"quantity":${i + 10}}`];
      expect(await post(chunks)).toEqual({ status: 201, body: { accepted: true, bytes: chunks.join('').length } });
    }
    agent.destroy();
    expect(ports.size).toBe(1);
    const received = (await fixtures.requests('primary')).filter((request) => request.url === '/orders');
    expect(received.length).toBeGreaterThanOrEqual(3);
    expect(received.at(-1)).toMatchObject({ method: 'POST', body: '{"symbol":"ABC","quantity":12}', headers: { 'transfer-encoding': 'chunked' } });
  });

  it('mirrors POST only on a route with mirrorUnsafe, buffering its body for the candidate', async () => {
    const order = JSON.stringify({ symbol: 'XYZ', quantity: 7 });
    const headers = { 'content-type': 'application/json' };
    expect((await send(`${proxy.url}/orders`, { method: 'POST', headers: { ...headers, host: 'off.test', 'x-order': 'off' }, body: order })).status).toBe(201);
    expect((await send(`${proxy.url}/orders`, { method: 'POST', headers: { ...headers, host: 'on.test', 'x-order': 'on' }, body: order })).status).toBe(201);

    const report = await settled(proxy, 'writes-on');
    expect(report.endpoints.find((endpoint) => endpoint.endpoint === 'POST /orders')).toMatchObject({ compared: 1 });
    const copies = (await fixtures.requests('unsafeCandidate')).filter((request) => request.url === '/orders');
    expect(copies).toEqual([
      expect.objectContaining({ method: 'POST', body: order, headers: expect.objectContaining({ 'x-order': 'on', 'x-switchyard-shadow': '1' }) }),
    ]);
    // Off by default: the other route's candidate never saw a write.
    expect((await fixtures.requests('candidate')).filter((request) => request.method !== 'GET')).toEqual([]);
    expect(proxy.report('writes-off').routes[0].totals.skipped.method).toBeGreaterThanOrEqual(4);
  });
});
