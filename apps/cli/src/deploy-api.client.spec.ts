import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DeployApiClient, ServerRejectedError, ServerUnreachableError, type RetryPolicy } from './deploy-api.client';

const FAST: RetryPolicy = { attempts: 3, delaysMs: [10, 20], timeoutMs: 500 };

describe('DeployApiClient', () => {
  let server: Server;
  let url: string;
  let handler: (req: IncomingMessage, res: ServerResponse, body: string) => void;
  const seen: Array<{ method?: string; url?: string; authorization?: string; body: string }> = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        seen.push({ method: req.method, url: req.url, authorization: req.headers.authorization, body });
        handler(req, res, body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  beforeEach(() => (seen.length = 0));

  const reply = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };

  it('sends the bearer token and JSON, and retries an idempotent report through 503s', async () => {
    let calls = 0;
    handler = (_req, res) => (++calls < 3 ? reply(res, 503, { error: { code: 'UNAVAILABLE', message: 'database down' } }) : reply(res, 200, { id: 'r1' }));
    const client = new DeployApiClient(url, 'sy_secret', FAST);
    await expect(client.reportStage('r1', 'build', { status: 'running' })).resolves.toEqual({ id: 'r1' });
    expect(seen).toHaveLength(3);
    expect(seen[0]).toMatchObject({
      method: 'PATCH',
      url: '/api/v1/releases/r1/stages/build',
      authorization: 'Bearer sy_secret',
      body: '{"status":"running"}',
    });
  });

  it('gives up after its bound and says how often it tried', async () => {
    handler = (_req, res) => reply(res, 503, { error: { code: 'UNAVAILABLE', message: 'database down' } });
    const error = await new DeployApiClient(url, 't', FAST).getRelease('r1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServerUnreachableError);
    expect((error as Error).message).toBe(`cannot reach the Switchyard server at ${url.slice(0, -1)} (3 attempts): HTTP 503 database down`);
  });

  it('does not repeat a create that may have reached the server, but surfaces its error', async () => {
    handler = (_req, res) => reply(res, 500, { error: { code: 'INTERNAL', message: 'boom' } });
    const error = await new DeployApiClient(url, 't', FAST).createRelease({ service: 'svc', version: 'v1' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServerRejectedError);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ method: 'POST', url: '/api/v1/services/svc/releases', body: '{"version":"v1"}' });
  });

  it('passes a 409 and its message through without retrying', async () => {
    handler = (_req, res) => reply(res, 409, { error: { code: 'CONFLICT', message: 'stage build never started', details: [] } });
    const error = (await new DeployApiClient(url, 't', FAST)
      .reportStage('r1', 'build', { status: 'succeeded' })
      .catch((e: unknown) => e)) as ServerRejectedError;
    expect([error.status, error.code, error.message]).toEqual([409, 'CONFLICT', 'stage build never started']);
    expect(seen).toHaveLength(1);
  });

  it('retries a create when the connection was refused (nothing reached the server)', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const started = Date.now();
    const error = await new DeployApiClient(`http://127.0.0.1:${port}`, 't', FAST).createRelease({ service: 'svc', version: 'v1' }).catch((e: unknown) => e);
    expect((error as Error).message).toBe(`cannot reach the Switchyard server at http://127.0.0.1:${port} (3 attempts): ECONNREFUSED`);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('times out a server that never answers', async () => {
    handler = () => undefined;
    const error = await new DeployApiClient(url, 't', { attempts: 1, delaysMs: [], timeoutMs: 200 }).getRelease('r1').catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/\(1 attempt\): no answer within the request timeout$/);
  });

  it('lists by service or across services with query filters', async () => {
    handler = (_req, res) => reply(res, 200, { items: [], nextCursor: null });
    const client = new DeployApiClient(url, 't', FAST);
    await client.listReleases({ service: 'svc', status: 'failed', limit: 5 });
    await client.listReleases({ branch: 'main' });
    expect(seen.map((s) => s.url)).toEqual(['/api/v1/services/svc/releases?status=failed&limit=5', '/api/v1/releases?branch=main']);
  });
});
