import { connect, type Socket } from 'node:net';
import { ApiClient } from '../../support/api-client';
import { startTestServer, waitFor, type TestServer } from '../../support/test-server';

/** A stream client that stops reading must be dropped, not buffered without bound. */
describe('SSE slow clients', () => {
  let server: TestServer;
  let admin: ApiClient;
  beforeAll(async () => {
    server = await startTestServer({ redis: 'none', env: { SSE_MAX_BUFFER_BYTES: '16384' } });
    admin = new ApiClient(server.url, server.adminToken);
  });
  afterAll(() => server.close());

  const metric = async (name: string) => {
    const text = await (await fetch(`${server.url}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(`${name}{environment="staging"}`));
    return line ? Number(line.split(' ').pop()) : 0;
  };

  it('drops a client that stopped reading once its unsent buffer passes the limit', async () => {
    // One change event carries the whole flag: ~400 kB per toggle fills the kernel buffers fast.
    const big = { blob: 'x'.repeat(400_000) };
    expect((await admin.post('/api/v1/flags', { key: 'big', type: 'object', variants: { a: big, b: { blob: 'y' } } })).status).toBe(201);

    const { port } = new URL(server.url);
    const socket: Socket = connect(Number(port), '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.write(
      `GET /sdk/v1/stream?environment=staging HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${server.adminToken}\r\nAccept: text/event-stream\r\n\r\n`,
    );
    let closed = false;
    socket.on('close', () => (closed = true));
    socket.on('error', () => undefined);
    await waitFor(async () => (await metric('switchyard_stream_clients')) === 1, 10_000, 'the stream client to connect');
    socket.pause();

    // Bounded: at most 80 toggles (≈32 MB written) before giving up.
    let toggles = 0;
    while ((await metric('switchyard_stream_clients_dropped_total')) === 0 && toggles < 80) {
      expect((await admin.post('/api/v1/flags/big/environments/staging/toggle', {})).status).toBe(200);
      toggles += 1;
    }
    expect(await metric('switchyard_stream_clients_dropped_total')).toBe(1);
    expect(await metric('switchyard_stream_clients')).toBe(0);
    socket.resume();
    await waitFor(() => closed, 10_000, 'the server to close the dropped connection');
    socket.destroy();
  });
});
