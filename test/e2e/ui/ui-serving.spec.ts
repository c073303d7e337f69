import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { json } from '../../support/http';
import { startTestServer, type TestServer } from '../../support/test-server';
import { UI_DIST, ensureUiBuilt } from './ensure-ui-built';

const HTML = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' };

describe('admin UI serving', () => {
  let server: TestServer;

  beforeAll(async () => {
    await ensureUiBuilt();
    server = await startTestServer({ redis: 'none' });
  }, 300_000);

  afterAll(async () => {
    await server?.close();
  });

  it('serves index.html at / without caching', async () => {
    const res = await fetch(`${server.url}/`, { headers: HTML });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(await res.text()).toContain('<div id="root">');
  });

  it('serves hashed assets with a year-long immutable cache', async () => {
    const js = readdirSync(join(UI_DIST, 'assets')).find((name) => name.endsWith('.js'))!;
    const res = await fetch(`${server.url}/assets/${js}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/javascript/);
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    const missing = await fetch(`${server.url}/assets/nope-123.js`);
    expect(missing.status).toBe(404);
    expect((await json(missing)).error.code).toBe('NOT_FOUND');
  });

  it('answers page URLs with index.html for browsers (history-API fallback)', async () => {
    for (const path of ['/flags', '/flags/checkout/history', '/audit?actor=x']) {
      const res = await fetch(`${server.url}${path}`, { headers: HTML });
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('<div id="root">');
    }
    const favicon = await fetch(`${server.url}/favicon.svg`);
    expect(favicon.status).toBe(200);
    expect(favicon.headers.get('content-type')).toMatch(/^image\/svg\+xml/);
  });

  it('keeps unknown API, SDK and operational URLs as JSON 404s, even for browsers', async () => {
    for (const path of ['/api/v1/nope', '/sdk/v1/nope', '/ofrep/v1/nope', '/metrics/x', '/healthz/x', '/readyz/x', '/api']) {
      const res = await fetch(`${server.url}${path}`, { headers: HTML });
      expect(res.status).toBe(404);
      const body = await json(res);
      expect(body.error).toMatchObject({ code: 'NOT_FOUND', message: `no route matches GET ${path}` });
    }
    // A non-browser client asking for a page URL gets the JSON 404 as well.
    const api = await fetch(`${server.url}/flags`, { headers: { accept: 'application/json' } });
    expect(api.status).toBe(404);
    // Real routes are untouched.
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${server.url}/api/v1/setup`)).status).toBe(200);
  });
});
