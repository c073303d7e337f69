import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiClient, ApiError, problemsAt, queryString, unplacedDetails } from './api-client';

/** A real HTTP server on loopback that records what the client sent and answers as the API does. */
describe('ApiClient', () => {
  let server: Server;
  let base: string;
  const seen: Array<{ method: string; url: string; headers: IncomingMessage['headers']; body: string }> = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
        if (req.url!.startsWith('/api/v1/flags/stale')) {
          res.writeHead(409, { 'content-type': 'application/json' });
          res.end(
            JSON.stringify({
              error: {
                code: 'CONFLICT',
                message: 'stale',
                details: [{ path: 'If-Match', problem: 'is 1 but the current version is 2' }],
                requestId: 'r1',
                currentVersion: 2,
              },
            }),
          );
        } else if (req.url === '/api/v1/whoami') {
          res.writeHead(401, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: { code: 'UNAUTHENTICATED', message: 'sign in', details: [], requestId: 'r2' } }));
        } else if (req.url === '/html') {
          res.writeHead(502, { 'content-type': 'text/html' });
          res.end('<h1>bad gateway</h1>');
        } else if (req.method === 'DELETE') {
          res.writeHead(204);
          res.end();
        } else {
          res.writeHead(200, { 'content-type': 'application/json', etag: '"3"' });
          res.end(JSON.stringify({ ok: true }));
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('sends the CSRF token on writes only, with If-Match and confirmations', async () => {
    const client = new ApiClient(undefined, base);
    client.setCsrfToken('csrf-1');
    await client.get('/api/v1/flags', { query: { search: 'check', tag: '', owner: undefined } });
    const response = await client.request('POST', '/api/v1/flags/x/environments/production/toggle', { enabled: true }, { ifMatch: 4, confirm: ['production'] });
    await client.delete('/api/v1/segments/s');
    const [get, post, del] = seen.slice(-3);
    expect(get.url).toBe('/api/v1/flags?search=check');
    expect(get.headers['x-csrf-token']).toBeUndefined();
    expect(post.headers['x-csrf-token']).toBe('csrf-1');
    expect(post.headers['if-match']).toBe('"4"');
    expect(post.headers['x-switchyard-confirm']).toBe('production');
    expect(JSON.parse(post.body)).toEqual({ enabled: true });
    expect(response).toEqual({ status: 200, data: { ok: true }, etag: '"3"' });
    expect(del.headers['x-csrf-token']).toBe('csrf-1');
  });

  it('turns error bodies into ApiErrors that keep details and extra fields', async () => {
    const client = new ApiClient(undefined, base);
    const error = (await client.patch('/api/v1/flags/stale', {}).catch((e: unknown) => e)) as ApiError;
    expect(error).toBeInstanceOf(ApiError);
    expect(error.status).toBe(409);
    expect(error.code).toBe('CONFLICT');
    expect(error.extra).toEqual({ currentVersion: 2 });
    expect(error.problemsAt('If-Match')).toEqual(['is 1 but the current version is 2']);
    const html = (await client.get('/html').catch((e: unknown) => e)) as ApiError;
    expect(html.code).toBe('HTTP_502');
  });

  it('reports a lost session once per 401 outside sign-in', async () => {
    const client = new ApiClient(undefined, base);
    let lost = 0;
    client.onUnauthenticated(() => (lost += 1));
    await expect(client.get('/api/v1/whoami')).rejects.toMatchObject({ status: 401 });
    expect(lost).toBe(1);
  });

  it('collects problems for a field and its children', () => {
    const details = [
      { path: 'rules[0].conditions[0].values', problem: 'must contain exactly one value' },
      { path: 'rules[0].serve.rollout', problem: 'weights must sum to 100000' },
      { path: 'rules[10].serve.variant', problem: 'unknown variant' },
      { path: 'offVariant', problem: 'unknown variant "x"' },
    ];
    expect(problemsAt(details, 'rules[0].serve.rollout')).toEqual(['weights must sum to 100000']);
    expect(problemsAt(details, 'rules[1]')).toEqual([]);
    expect(problemsAt(details, 'rules[0]')).toEqual(['conditions[0].values: must contain exactly one value', 'serve.rollout: weights must sum to 100000']);
    expect(unplacedDetails(details, ['rules[0]', 'offVariant'])).toEqual([details[2]]);
    expect(queryString({ a: 1, b: undefined, c: '', d: true })).toBe('?a=1&d=true');
  });
});
