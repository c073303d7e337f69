import { ApiClient } from '../../support/api-client';
import { startTestServer, type TestServer } from '../../support/test-server';

/**
 * Input an attacker would send, each of which once reached PostgreSQL, the stack or the framework
 * and came back as a 500 or a foreign body: every one is a 4xx in the one error shape, with the field
 * at fault named where there is one, and none of them changes anything.
 */

interface Hostile {
  name: string;
  method: string;
  path: string;
  /** A string is sent as the raw body. */
  body?: unknown;
  headers?: Record<string, string>;
  /** Send with the SDK token instead of the admin one. */
  sdk?: boolean;
  status: number;
  code: string;
  /** The details[].path of the answer, when it names a field. */
  paths?: string[];
}

const nested = (depth: number, leaf = '1') => '{"a":'.repeat(depth) + leaf + '}'.repeat(depth);
const nestedArray = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
const rule = (condition: Record<string, unknown>) => ({ rules: [{ conditions: [condition], serve: { variant: 'on' } }] });

const CASES: Hostile[] = [
  // ---- NUL characters: PostgreSQL text cannot hold them --------------------------------------
  {
    name: 'NUL in a token name',
    method: 'POST',
    path: '/api/v1/tokens',
    body: { name: 'ci\u0000', scopes: ['flags:read'] },
    status: 400,
    code: 'VALIDATION_FAILED',
    paths: ['name'],
  },
  {
    name: 'NUL in a flag key',
    method: 'POST',
    path: '/api/v1/flags',
    body: { key: 'a\u0000b', type: 'boolean' },
    status: 400,
    code: 'VALIDATION_FAILED',
    paths: ['key'],
  },
  {
    name: 'NUL in a flag description',
    method: 'POST',
    path: '/api/v1/flags',
    body: { key: 'nul-desc', type: 'boolean', description: 'x\u0000' },
    status: 400,
    code: 'VALIDATION_FAILED',
    paths: ['description'],
  },
  {
    name: 'NUL deep in a rule',
    method: 'PATCH',
    path: '/api/v1/flags/target/environments/staging',
    body: rule({ attribute: 'country\u0000', operator: 'in', values: ['NO'] }),
    status: 400,
    code: 'VALIDATION_FAILED',
    paths: ['rules[0].conditions[0].attribute'],
  },
  {
    name: 'NUL in an object key',
    method: 'POST',
    path: '/api/v1/flags',
    body: { key: 'nul-variant', type: 'object', variants: { 'a\u0000': {} } },
    status: 400,
    code: 'VALIDATION_FAILED',
    paths: ['variants.a\\0'],
  },
  {
    name: 'NUL in a segment name',
    method: 'POST',
    path: '/api/v1/segments',
    body: { key: 'seg', name: '\u0000', conditions: [] },
    status: 400,
    code: 'VALIDATION_FAILED',
    paths: ['name'],
  },
  { name: 'NUL in a path parameter', method: 'GET', path: '/api/v1/flags/a%00b', status: 400, code: 'VALIDATION_FAILED', paths: ['key'] },
  { name: 'NUL in an audit filter', method: 'GET', path: '/api/v1/audit?actor=token%00', status: 400, code: 'VALIDATION_FAILED', paths: ['actor'] },
  { name: 'NUL in a flag search', method: 'GET', path: '/api/v1/flags?search=%00', status: 400, code: 'VALIDATION_FAILED', paths: ['search'] },
  { name: 'NUL in a mirror route name', method: 'GET', path: '/api/v1/mirror/routes/a%00', status: 400, code: 'VALIDATION_FAILED', paths: ['name'] },
  {
    name: 'NUL in an OFREP context',
    method: 'POST',
    path: '/ofrep/v1/evaluate/flags/target',
    body: { context: { targetingKey: 'u\u0000' } },
    sdk: true,
    status: 400,
    code: 'VALIDATION_FAILED',
    paths: ['context.targetingKey'],
  },
  {
    name: 'NUL in a raw text body',
    method: 'POST',
    path: '/api/v1/tokens',
    body: 'x\u0000',
    headers: { 'content-type': 'text/plain' },
    status: 400,
    code: 'VALIDATION_FAILED',
    paths: ['(body)'],
  },

  // ---- cursors: canonical and within bigint -----------------------------------------------
  ...['9223372036854775808', '9999999999999999999', '99999999999999999999', '007', '-1', '1e3', ' 1'].flatMap((cursor): Hostile[] => [
    {
      name: `audit cursor ${JSON.stringify(cursor)}`,
      method: 'GET',
      path: `/api/v1/audit?cursor=${encodeURIComponent(cursor)}`,
      status: 400,
      code: 'VALIDATION_FAILED',
      paths: ['cursor'],
    },
    {
      name: `release cursor ${JSON.stringify(cursor)}`,
      method: 'GET',
      path: `/api/v1/releases?cursor=${encodeURIComponent(cursor)}`,
      status: 400,
      code: 'VALIDATION_FAILED',
      paths: ['cursor'],
    },
  ]),

  // ---- dates: ISO 8601 date, or date-time with a timezone, and nothing looser -------------
  ...['2024-W01', '2024-001', '2024-02-30', '2024-1-1', '20240101', '2024-01-01T10:00', '2024-01-01 10:00Z', 'yesterday', '1714557600'].map(
    (since): Hostile => ({
      name: `since=${since}`,
      method: 'GET',
      path: `/api/v1/audit?since=${encodeURIComponent(since)}`,
      status: 400,
      code: 'VALIDATION_FAILED',
      paths: ['since'],
    }),
  ),
  { name: 'until=2024-W01', method: 'GET', path: '/api/v1/audit?until=2024-W01', status: 400, code: 'VALIDATION_FAILED', paths: ['until'] },

  // ---- flag versions: int4 -----------------------------------------------------------------
  { name: 'version past int32', method: 'GET', path: '/api/v1/flags/target/versions/2147483648', status: 400, code: 'VALIDATION_FAILED', paths: ['version'] },
  { name: 'version 0', method: 'GET', path: '/api/v1/flags/target/versions/0', status: 400, code: 'VALIDATION_FAILED', paths: ['version'] },
  {
    name: 'restore a version past int32',
    method: 'POST',
    path: '/api/v1/flags/target/versions/99999999999/restore',
    body: {},
    status: 400,
    code: 'VALIDATION_FAILED',
    paths: ['version'],
  },
  {
    name: 'If-Match past int32',
    method: 'PATCH',
    path: '/api/v1/flags/target',
    body: { name: 'x' },
    headers: { 'if-match': '"9999999999"' },
    status: 400,
    code: 'VALIDATION_FAILED',
    paths: ['If-Match'],
  },

  // ---- JSON depth, checked before anything recurses -----------------------------------------
  { name: 'deeply nested flag body', method: 'POST', path: '/api/v1/flags', body: nested(100_000), status: 400, code: 'VALIDATION_FAILED', paths: ['(body)'] },
  {
    name: 'deeply nested token body (DTO)',
    method: 'POST',
    path: '/api/v1/tokens',
    body: nestedArray(100_000),
    status: 400,
    code: 'VALIDATION_FAILED',
    paths: ['(body)'],
  },
  {
    name: 'deeply nested OFREP context',
    method: 'POST',
    path: '/ofrep/v1/evaluate/flags/target',
    body: `{"context":${nested(100_000)}}`,
    sdk: true,
    status: 400,
    code: 'VALIDATION_FAILED',
    paths: ['(body)'],
  },
  {
    name: 'deeply nested OFREP bulk context',
    method: 'POST',
    path: '/ofrep/v1/evaluate/flags',
    body: `{"context":${nested(65)}}`,
    sdk: true,
    status: 400,
    code: 'VALIDATION_FAILED',
    paths: ['(body)'],
  },

  // ---- printable names -----------------------------------------------------------------------
  {
    name: 'escape sequence in a token name',
    method: 'POST',
    path: '/api/v1/tokens',
    body: { name: 'ci\u001b[2K', scopes: ['flags:read'] },
    status: 400,
    code: 'VALIDATION_FAILED',
    paths: ['name'],
  },
  {
    name: 'newline in a token name',
    method: 'POST',
    path: '/api/v1/tokens',
    body: { name: 'ci\nadmin', scopes: ['flags:read'] },
    status: 400,
    code: 'VALIDATION_FAILED',
    paths: ['name'],
  },
  {
    name: 'bidi override in a user name',
    method: 'POST',
    path: '/api/v1/users',
    body: { email: 'eve@example.com', name: 'Eve\u202e', role: 'viewer', password: 'long enough password' },
    status: 400,
    code: 'VALIDATION_FAILED',
    paths: ['name'],
  },
  {
    name: 'control character in a flag name',
    method: 'POST',
    path: '/api/v1/flags',
    body: { key: 'ctl-name', type: 'boolean', name: 'bell\u0007' },
    status: 400,
    code: 'VALIDATION_FAILED',
    paths: ['name'],
  },
  {
    name: 'control character in a flag description',
    method: 'PATCH',
    path: '/api/v1/flags/target',
    body: { description: 'clear\u001b[2J' },
    status: 400,
    code: 'VALIDATION_FAILED',
    paths: ['description'],
  },
  {
    name: 'control character in a segment name',
    method: 'POST',
    path: '/api/v1/segments',
    body: { key: 'ctl-seg', name: 'a\u0008b', conditions: [] },
    status: 400,
    code: 'VALIDATION_FAILED',
    paths: ['name'],
  },
  {
    name: 'control character in an environment name',
    method: 'POST',
    path: '/api/v1/environments',
    body: { key: 'qa', name: 'QA\r' },
    status: 400,
    code: 'VALIDATION_FAILED',
    paths: ['name'],
  },

  // ---- the framework's own refusals -----------------------------------------------------------
  { name: 'malformed percent-encoding in the path', method: 'GET', path: '/api/v1/flags/%E0%A4%A', status: 400, code: 'BAD_REQUEST' },
  {
    name: 'an unsupported content type',
    method: 'POST',
    path: '/api/v1/flags',
    body: '<flag/>',
    headers: { 'content-type': 'application/xml' },
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
  },
  {
    name: 'an empty JSON body',
    method: 'POST',
    path: '/api/v1/flags',
    body: '',
    headers: { 'content-type': 'application/json' },
    status: 400,
    code: 'BAD_REQUEST',
  },
  { name: 'a truncated JSON body', method: 'POST', path: '/api/v1/flags', body: '{"key":', status: 400, code: 'MALFORMED_JSON' },
  {
    name: 'a __proto__ key',
    method: 'POST',
    path: '/api/v1/flags',
    body: '{"__proto__":{"admin":true},"key":"p","type":"boolean"}',
    status: 400,
    code: 'MALFORMED_JSON',
  },
  { name: 'an unknown method', method: 'PUT', path: '/api/v1/flags', body: {}, status: 404, code: 'NOT_FOUND' },
  { name: 'an over-long path parameter', method: 'PATCH', path: `/api/v1/flags/${'k'.repeat(5000)}`, body: {}, status: 414, code: 'URI_TOO_LONG' },
];

describe('hostile input is a 4xx in the error shape, and changes nothing', () => {
  let server: TestServer;
  let admin: ApiClient;
  let sdk: ApiClient;

  const fingerprint = async () => {
    const [flags, segments, environments, tokens, users, audit] = await Promise.all([
      admin.get('/api/v1/flags?archived=false'),
      admin.get('/api/v1/segments'),
      admin.get('/api/v1/environments'),
      admin.get('/api/v1/tokens'),
      admin.get('/api/v1/users'),
      admin.get('/api/v1/audit?limit=500'),
    ]);
    return JSON.stringify([flags.body, segments.body, environments.body, tokens.body, users.body, audit.body.items.length]);
  };

  beforeAll(async () => {
    server = await startTestServer({ redis: 'none' });
    admin = new ApiClient(server.url, server.adminToken);
    expect((await admin.post('/api/v1/flags', { key: 'target', type: 'boolean' })).status).toBe(201);
    sdk = admin.withToken(await admin.token_('sdk-prod', ['sdk:production']));
  });
  afterAll(() => server.close());

  it.each(CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const before = await fingerprint();
    const res = await (c.sdk ? sdk : admin).request(c.method, c.path, c.body, c.headers);
    expect({ status: res.status, code: res.body?.error?.code }).toEqual({ status: c.status, code: c.code });
    expect(res.body.error).toEqual({ code: c.code, message: expect.any(String), details: expect.any(Array), requestId: res.headers.get('x-request-id') });
    if (c.paths) expect(res.body.error.details.map((d: { path: string }) => d.path)).toEqual(c.paths);
    expect(await fingerprint()).toEqual(before);
  });

  it('still accepts what is merely unusual: canonical cursors, strict dates, deep-but-allowed JSON, text that looks like JSON', async () => {
    for (const query of [
      'cursor=9223372036854775807',
      'cursor=1',
      'since=2024-01-01',
      'since=2024-01-01T10:00:00Z',
      'until=2024-02-29T10:00:00.123456%2B02:00',
    ]) {
      expect([query, (await admin.get(`/api/v1/audit?${query}`)).status]).toEqual([query, 200]);
    }
    expect((await admin.get('/api/v1/releases?cursor=9223372036854775807')).status).toBe(200);
    const variant = JSON.parse(nested(60, '{}'));
    const created = await admin.post('/api/v1/flags', {
      key: 'deep-but-fine',
      type: 'object',
      variants: { deep: variant },
      description: 'brackets in a string do not nest: [[[[{{{{ and a line\nbreak and a tab\t',
      name: 'Déjà vu ✓',
    });
    expect(created.status).toBe(201);
    const context = { targetingKey: 'u1', profile: JSON.parse(nested(60)) };
    expect((await sdk.post('/ofrep/v1/evaluate/flags/target', { context })).status).toBe(200);
    expect((await admin.get('/api/v1/flags/target/versions/1')).status).toBe(200);
    const longest = 'k'.repeat(128);
    expect((await admin.post('/api/v1/flags', { key: longest, type: 'boolean' })).status).toBe(201);
    expect((await admin.get(`/api/v1/flags/${longest}`)).status).toBe(200);
    expect((await admin.get('/api/v1/flags/target/versions/2147483647')).status).toBe(404);
  });
});
