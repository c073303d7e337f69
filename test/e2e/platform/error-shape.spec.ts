import { json } from '../../support/http';
import { Body, Controller, Get, Module, Param, Post } from '@nestjs/common';
import { z } from 'zod';
import { Public } from '@switchyard/auth';
import { parseBody } from '../../../apps/server/src/http';
import { startTestServer, type TestServer } from '../../support/test-server';

// The same helper every controller validates through: zod schema → 400 naming the nested field.
const bodyProbe = z.strictObject({
  count: z.number().int(),
  rules: z.array(
    z.strictObject({
      conditions: z.array(z.strictObject({ attribute: z.string(), operator: z.enum(['in', 'eq'], { error: () => 'must be one of in, eq' }) })),
    }),
  ),
});

@Public()
@Controller('probe')
class ProbeController {
  @Post('validate')
  validate(@Body() body: unknown): { ok: true; count: number } {
    return { ok: true, count: parseBody(bodyProbe, body).count };
  }

  @Get('boom/:id')
  boom(@Param('id') id: string): never {
    throw new Error(`SELECT secret FROM users WHERE id = '${id}' failed at /srv/app/internal.ts:42`);
  }
}

@Module({ controllers: [ProbeController] })
class ProbeModule {}

describe('one error shape for every 4xx/5xx', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ redis: 'none', modules: [ProbeModule] });
  });
  afterAll(() => server.close());

  const post = (path: string, body: string, headers: Record<string, string> = {}) =>
    fetch(`${server.url}${path}`, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });

  it('validation failure names the nested path', async () => {
    const res = await post('/probe/validate', JSON.stringify({ count: 1, rules: [{ conditions: [{ attribute: 'country', operator: 'like' }] }] }));
    expect(res.status).toBe(400);
    const body = await json(res);
    expect(body.error.code).toBe('VALIDATION_FAILED');
    expect(body.error.details).toEqual([{ path: 'rules[0].conditions[0].operator', problem: expect.stringContaining('in, eq') }]);
    expect(body.error.requestId).toEqual(res.headers.get('x-request-id'));
  });

  it('rejects unknown fields', async () => {
    const res = await post('/probe/validate', JSON.stringify({ count: 1, rules: [], extra: true }));
    expect(res.status).toBe(400);
    expect((await json(res)).error.details).toEqual([{ path: 'extra', problem: 'is not a known field' }]);
  });

  it('accepts a valid body', async () => {
    const res = await post('/probe/validate', JSON.stringify({ count: 3, rules: [] }));
    expect(res.status).toBe(201);
    expect(await json(res)).toEqual({ ok: true, count: 3 });
  });

  it('malformed JSON is a 400 MALFORMED_JSON', async () => {
    const res = await post('/probe/validate', '{"count": 1,');
    expect(res.status).toBe(400);
    expect((await json(res)).error).toMatchObject({ code: 'MALFORMED_JSON', details: [] });
  });

  it('a body over the limit is a 413', async () => {
    const res = await post('/probe/validate', JSON.stringify({ count: 1, pad: 'x'.repeat(server.config.bodyLimitBytes + 10) }));
    expect(res.status).toBe(413);
    // The limit is named, so the UI can say what to do about it.
    expect((await json(res)).error).toMatchObject({
      code: 'PAYLOAD_TOO_LARGE',
      message: 'the request body is larger than 1 MiB',
      details: [{ path: '(body)', problem: `must be at most 1 MiB (${server.config.bodyLimitBytes} bytes)` }],
    });
  });

  it('an unknown route is a 404 in the same shape, echoing X-Request-Id', async () => {
    const res = await fetch(`${server.url}/no/such/route`, { headers: { 'x-request-id': 'trace-123' } });
    expect(res.status).toBe(404);
    expect(res.headers.get('x-request-id')).toBe('trace-123');
    expect(await json(res)).toEqual({ error: { code: 'NOT_FOUND', message: 'no route matches GET /no/such/route', details: [], requestId: 'trace-123' } });
  });

  it('a thrown internal error is a 500 that leaks nothing', async () => {
    const res = await fetch(`${server.url}/probe/boom/7`);
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(text).not.toMatch(/SELECT|secret|internal\.ts|at \w+ \(/);
    expect(JSON.parse(text).error.code).toBe('INTERNAL');
  });

  it('serves the OpenAPI document and the docs page', async () => {
    const doc = await json(await fetch(`${server.url}/api/openapi.json`));
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toContain('/api/v1/installation');
    const page = await fetch(`${server.url}/api/docs`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('swagger');
  });
});
