import { ApiClient } from '../../support/api-client';
import { startTestServer, type TestServer } from '../../support/test-server';

/**
 * Malformed requests across the admin API: each is refused with 400 (409 for a segment still in
 * use), names the field at fault in `details[].path`, and leaves the database exactly as it was.
 */

interface BadInput {
  name: string;
  method: 'POST' | 'PATCH' | 'DELETE';
  path: string;
  body?: unknown;
  headers?: Record<string, string>;
  status?: number;
  /** Exactly the distinct details[].path of the answer. */
  paths: string[];
}

const rule = (condition: Record<string, unknown>, serve: unknown = { variant: 'b' }) => ({ rules: [{ conditions: [condition], serve }] });
const ENV = '/api/v1/flags/fixture-str/environments/development';

const CASES: BadInput[] = [
  // ---- flags -------------------------------------------------------------------------------
  { name: 'flag key with spaces and capitals', method: 'POST', path: '/api/v1/flags', body: { key: 'Bad Key', type: 'boolean' }, paths: ['key'] },
  { name: 'flag key starting with a dot', method: 'POST', path: '/api/v1/flags', body: { key: '.hidden', type: 'boolean' }, paths: ['key'] },
  { name: 'flag key missing', method: 'POST', path: '/api/v1/flags', body: { type: 'boolean' }, paths: ['key'] },
  { name: 'unknown flag type', method: 'POST', path: '/api/v1/flags', body: { key: 'typed', type: 'integer' }, paths: ['type'] },
  { name: 'unknown field on a flag', method: 'POST', path: '/api/v1/flags', body: { key: 'coloured', type: 'boolean', colour: 'red' }, paths: ['colour'] },
  { name: 'name of the wrong type', method: 'POST', path: '/api/v1/flags', body: { key: 'named', type: 'boolean', name: 42 }, paths: ['name'] },
  { name: 'tags not an array', method: 'POST', path: '/api/v1/flags', body: { key: 'tagged', type: 'boolean', tags: 'checkout' }, paths: ['tags'] },
  {
    name: 'variant value of the wrong type',
    method: 'POST',
    path: '/api/v1/flags',
    body: { key: 'numbers', type: 'number', variants: { one: 'one' } },
    paths: ['variants.one'],
  },
  {
    name: 'targeting for an environment that does not exist',
    method: 'POST',
    path: '/api/v1/flags',
    body: { key: 'elsewhere', type: 'boolean', environments: { qa: { enabled: true } } },
    paths: ['environments.qa'],
  },
  {
    name: 'unknown variant inside a new flag’s targeting',
    method: 'POST',
    path: '/api/v1/flags',
    body: { key: 'mistargeted', type: 'boolean', environments: { staging: { defaultServe: { variant: 'maybe' } } } },
    paths: ['environments.staging.defaultServe.variant'],
  },
  { name: 'a body that is not an object', method: 'POST', path: '/api/v1/flags', body: '[1,2]', paths: ['(body)'] },
  { name: 'empty variants on update', method: 'PATCH', path: '/api/v1/flags/fixture-str', body: { variants: {} }, paths: ['variants'] },
  {
    name: 'removing a variant that targeting still serves',
    method: 'PATCH',
    path: '/api/v1/flags/fixture-str',
    body: { variants: { a: 'A' } },
    paths: ['environments.staging.defaultServe.variant'],
  },
  { name: 'archived of the wrong type', method: 'PATCH', path: '/api/v1/flags/fixture-str', body: { archived: 'yes' }, paths: ['archived'] },
  {
    name: 'malformed If-Match',
    method: 'PATCH',
    path: '/api/v1/flags/fixture-str',
    body: { name: 'x' },
    headers: { 'if-match': 'latest' },
    paths: ['If-Match'],
  },
  {
    name: 'toggle with a string',
    method: 'POST',
    path: '/api/v1/flags/fixture-str/environments/development/toggle',
    body: { enabled: 'on' },
    paths: ['enabled'],
  },

  // ---- a flag's environment configuration -------------------------------------------------
  {
    name: 'unknown operator',
    method: 'PATCH',
    path: ENV,
    body: rule({ attribute: 'country', operator: 'is', values: ['NO'] }),
    paths: ['rules[0].conditions[0].operator'],
  },
  {
    name: 'number operator with a non-number',
    method: 'PATCH',
    path: ENV,
    body: rule({ attribute: 'age', operator: 'gt', values: ['ten'] }),
    paths: ['rules[0].conditions[0].values[0]'],
  },
  {
    name: 'condition value that is an object',
    method: 'PATCH',
    path: ENV,
    body: rule({ attribute: 'plan', operator: 'in', values: [{ plan: 'pro' }] }),
    paths: ['rules[0].conditions[0].values[0]'],
  },
  {
    name: 'date operator with a non-date',
    method: 'PATCH',
    path: ENV,
    body: rule({ attribute: 'signup', operator: 'before', values: ['yesterday'] }),
    paths: ['rules[0].conditions[0].values[0]'],
  },
  {
    name: 'semver operator with a non-version',
    method: 'PATCH',
    path: ENV,
    body: rule({ attribute: 'app', operator: 'semver_gt', values: ['1.x'] }),
    paths: ['rules[0].conditions[0].values[0]'],
  },
  {
    name: 'regex that does not compile',
    method: 'PATCH',
    path: ENV,
    body: rule({ attribute: 'email', operator: 'matches', values: ['(unclosed'] }),
    paths: ['rules[0].conditions[0].values[0]'],
  },
  {
    name: 'regex with a backreference (RE2 cannot express it)',
    method: 'PATCH',
    path: ENV,
    body: rule({ attribute: 'email', operator: 'matches', values: ['^(a+)\\1$'] }),
    paths: ['rules[0].conditions[0].values[0]'],
  },
  {
    name: 'regex with a lookahead (RE2 cannot express it)',
    method: 'PATCH',
    path: ENV,
    body: rule({ attribute: 'id', operator: 'matches', values: ['x(?=y)'] }),
    paths: ['rules[0].conditions[0].values[0]'],
  },
  {
    name: 'reference to a missing segment',
    method: 'PATCH',
    path: ENV,
    body: rule({ attribute: '', operator: 'in_segment', values: ['no-such-segment'] }),
    paths: ['rules[0].conditions[0].values[0]'],
  },
  {
    name: 'caseInsensitive on a number operator',
    method: 'PATCH',
    path: ENV,
    body: rule({ attribute: 'age', operator: 'lt', values: [30], caseInsensitive: true }),
    paths: ['rules[0].conditions[0].caseInsensitive'],
  },
  {
    name: 'weights not summing to 100000',
    method: 'PATCH',
    path: ENV,
    body: rule(
      { attribute: 'country', operator: 'in', values: ['NO'] },
      {
        rollout: [
          { variant: 'a', weight: 50000 },
          { variant: 'b', weight: 40000 },
        ],
      },
    ),
    paths: ['rules[0].serve.rollout'],
  },
  {
    name: 'fractional weight',
    method: 'PATCH',
    path: ENV,
    body: {
      defaultServe: {
        rollout: [
          { variant: 'a', weight: 50000.5 },
          { variant: 'b', weight: 49999.5 },
        ],
      },
    },
    paths: ['defaultServe.rollout[0].weight', 'defaultServe.rollout[1].weight'],
  },
  {
    name: 'unknown variant in a rollout',
    method: 'PATCH',
    path: ENV,
    body: {
      defaultServe: {
        rollout: [
          { variant: 'a', weight: 50000 },
          { variant: 'c', weight: 50000 },
        ],
      },
    },
    paths: ['defaultServe.rollout[1].variant'],
  },
  {
    name: 'unknown served variant',
    method: 'PATCH',
    path: ENV,
    body: rule({ attribute: 'country', operator: 'in', values: ['NO'] }, { variant: 'c' }),
    paths: ['rules[0].serve.variant'],
  },
  { name: 'unknown off variant', method: 'PATCH', path: ENV, body: { offVariant: 'none' }, paths: ['offVariant'] },
  { name: 'enabled of the wrong type', method: 'PATCH', path: ENV, body: { enabled: 'yes' }, paths: ['enabled'] },
  {
    name: 'unknown field in a rule',
    method: 'PATCH',
    path: ENV,
    body: { rules: [{ conditions: [], serve: { variant: 'a' }, colour: 'red' }] },
    paths: ['rules[0].colour'],
  },
  {
    name: 'duplicate rule ids',
    method: 'PATCH',
    path: ENV,
    body: {
      rules: [
        { id: 'same', conditions: [], serve: { variant: 'a' } },
        { id: 'same', conditions: [], serve: { variant: 'b' } },
      ],
    },
    paths: ['rules[1].id'],
  },
  {
    name: 'serve with neither variant nor rollout',
    method: 'PATCH',
    path: ENV,
    body: { defaultServe: { percent: 50 } },
    paths: ['defaultServe.percent', 'defaultServe.variant'],
  },

  // ---- segments ----------------------------------------------------------------------------
  { name: 'segment key pattern', method: 'POST', path: '/api/v1/segments', body: { key: '-leading-dash', conditions: [] }, paths: ['key'] },
  {
    name: 'segment conditions not an array',
    method: 'POST',
    path: '/api/v1/segments',
    body: { key: 'seg-new', conditions: { attribute: 'x' } },
    paths: ['conditions'],
  },
  {
    name: 'segment with an unknown operator',
    method: 'POST',
    path: '/api/v1/segments',
    body: { key: 'seg-new', conditions: [{ attribute: 'email', operator: 'like', values: ['%@x'] }] },
    paths: ['conditions[0].operator'],
  },
  {
    name: 'segment referencing a missing segment',
    method: 'POST',
    path: '/api/v1/segments',
    body: { key: 'seg-new', conditions: [{ attribute: '', operator: 'in_segment', values: ['ghost'] }] },
    paths: ['conditions[0].values[0]'],
  },
  {
    name: 'segment update with a regex too large for the RE2 program budget',
    method: 'PATCH',
    path: '/api/v1/segments/seg-free',
    body: { conditions: [{ attribute: 'email', operator: 'matches', values: ['(.*a){100}'] }] },
    paths: ['conditions[0].values[0]'],
  },
  { name: 'deleting a segment still in use', method: 'DELETE', path: '/api/v1/segments/seg-used', status: 409, paths: ['flags.fixture-bool'] },

  // ---- environments ------------------------------------------------------------------------
  { name: 'environment key pattern', method: 'POST', path: '/api/v1/environments', body: { key: 'Prod!' }, paths: ['key'] },
  {
    name: 'requiresConfirmation of the wrong type',
    method: 'POST',
    path: '/api/v1/environments',
    body: { key: 'qa', requiresConfirmation: 'yes' },
    paths: ['requiresConfirmation'],
  },
  { name: 'unknown field on an environment', method: 'PATCH', path: '/api/v1/environments/staging', body: { colour: 'blue' }, paths: ['colour'] },

  // ---- tokens ------------------------------------------------------------------------------
  { name: 'token with an unknown scope', method: 'POST', path: '/api/v1/tokens', body: { name: 'ci', scopes: ['root'] }, paths: ['scopes'] },
  { name: 'token without a name', method: 'POST', path: '/api/v1/tokens', body: { scopes: ['flags:read'] }, paths: ['name'] },
  {
    name: 'token with an unknown field',
    method: 'POST',
    path: '/api/v1/tokens',
    body: { name: 'ci', scopes: ['deploy'], expires: 'never' },
    paths: ['expires'],
  },
  { name: 'token scopes not an array', method: 'POST', path: '/api/v1/tokens', body: { name: 'ci', scopes: 'admin' }, paths: ['scopes'] },
];

describe('bad input is refused with the right path, and nothing is written', () => {
  let server: TestServer;
  let api: ApiClient;

  /** Everything a rejected request could have touched. */
  const fingerprint = async () => {
    const [flags, segments, environments, tokens] = await Promise.all([
      api.get('/api/v1/flags?archived=false'),
      api.get('/api/v1/segments'),
      api.get('/api/v1/environments'),
      api.get('/api/v1/tokens'),
    ]);
    let audit = 0;
    let cursor: string | null = null;
    do {
      const page = await api.get(`/api/v1/audit?limit=500${cursor ? `&cursor=${cursor}` : ''}`);
      audit += page.body.items.length;
      cursor = page.body.nextCursor;
    } while (cursor);
    const versions = await Promise.all(flags.body.items.map(async (f: any) => (await api.get(`/api/v1/flags/${f.key}/versions`)).body.items.length));
    return {
      flags: flags.body.items.map(
        (f: any, i: number) => `${f.key}@${f.version}/${versions[i]}:${JSON.stringify(f.environments)}:${JSON.stringify(f.variants)}`,
      ),
      segments: segments.body.items.map((s: any) => `${s.key}@${s.version}:${JSON.stringify(s.conditions)}`),
      environments: environments.body.items.map((e: any) => `${e.key}@${e.version}:${e.name}:${e.requiresConfirmation}`),
      tokens: tokens.body.items.map((t: any) => `${t.id}:${t.revokedAt}`),
      audit,
    };
  };

  beforeAll(async () => {
    server = await startTestServer();
    api = new ApiClient(server.url, server.adminToken);
    const setup = [
      await api.post('/api/v1/segments', { key: 'seg-used', conditions: [{ attribute: 'email', operator: 'ends_with', values: ['@example.com'] }] }),
      await api.post('/api/v1/segments', { key: 'seg-free', conditions: [{ attribute: 'plan', operator: 'in', values: ['pro'] }] }),
      await api.post('/api/v1/flags', {
        key: 'fixture-bool',
        type: 'boolean',
        environments: { staging: { rules: [{ conditions: [{ attribute: '', operator: 'in_segment', values: ['seg-used'] }], serve: { variant: 'on' } }] } },
      }),
      await api.post('/api/v1/flags', {
        key: 'fixture-str',
        type: 'string',
        variants: { a: 'A', b: 'B' },
        environments: { staging: { defaultServe: { variant: 'b' } } },
      }),
    ];
    expect(setup.map((r) => r.status)).toEqual([201, 201, 201, 201]);
  }, 60_000);
  afterAll(() => server.close());

  it('has at least 25 cases', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(25);
  });

  it.each(CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const before = await fingerprint();
    const res = await api.request(c.method, c.path, c.body, c.headers);
    expect(res.status).toBe(c.status ?? 400);
    expect(res.body.error.code).toBe((c.status ?? 400) === 409 ? 'CONFLICT' : 'VALIDATION_FAILED');
    const paths = (res.body.error.details as Array<{ path: string; problem: string }>).map((d) => d.path);
    expect([...new Set(paths)].sort()).toEqual([...c.paths].sort());
    for (const detail of res.body.error.details) expect(detail.problem).toEqual(expect.any(String));
    expect(await fingerprint()).toEqual(before);
  });

  it('says what is wrong in plain words, naming the limit', async () => {
    const problems = async (method: BadInput['method'], path: string, body: unknown) =>
      ((await api.request(method, path, body)).body.error.details as Array<{ path: string; problem: string }>).map((d) => `${d.path}: ${d.problem}`);
    expect(await problems('POST', '/api/v1/flags', { key: 'Bad Key', type: 'boolean' })).toEqual([
      "key: use 1–128 lowercase letters, digits, '.', '_' or '-', starting with a letter or digit",
    ]);
    const tags = Array.from({ length: 51 }, (_, i) => `t${i}`);
    expect(await problems('POST', '/api/v1/flags', { key: 'many-tags', type: 'boolean', tags })).toEqual(['tags: at most 50 tags']);
    const rules = Array.from({ length: 501 }, () => ({ conditions: [], serve: { variant: 'b' } }));
    expect(await problems('PATCH', ENV, { rules })).toEqual(['rules: at most 500 rules']);
    expect(await problems('PATCH', ENV, { offVariant: '', ...rule({ attribute: 'a', operator: 'in', values: ['x'.repeat(1025)] }) })).toEqual([
      'offVariant: must not be empty',
      'rules[0].conditions[0].values[0]: must be at most 1024 characters',
    ]);
    // No regexes, no library phrasing.
    for (const text of await problems('POST', '/api/v1/segments', { key: '-x', conditions: [], name: '' }))
      expect(text).not.toMatch(/\^|Too (big|small)|<=|>=/);
  });

  it('still accepts the corrected requests (the fixtures are writable)', async () => {
    const ok = await api.patch(ENV, rule({ attribute: 'email', operator: 'matches', values: ['^[a-z]+@example\\.com$'] }));
    expect(ok.status).toBe(200);
  });
});
