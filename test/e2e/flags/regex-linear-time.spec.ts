import { ApiClient } from '../../support/api-client';
import { startTestServer, type TestServer } from '../../support/test-server';

/**
 * `matches` runs on RE2 everywhere, OFREP included: a pattern that takes a backtracking engine
 * minutes on a 1 KB value answers at once, and what RE2 cannot express is refused when the flag is
 * saved, with the field and the reason.
 */
describe('regex conditions: linear time over OFREP, refusals at validation', () => {
  let server: TestServer;
  let admin: ApiClient;
  let sdk: ApiClient;

  const flagWith = (key: string, pattern: string) => ({
    key,
    type: 'string',
    variants: { yes: 'matched', no: 'unmatched' },
    environments: {
      development: {
        enabled: true,
        rules: [{ conditions: [{ attribute: 's', operator: 'matches', values: [pattern] }], serve: { variant: 'yes' } }],
        defaultServe: { variant: 'no' },
      },
    },
  });

  beforeAll(async () => {
    server = await startTestServer({ redis: 'none' });
    admin = new ApiClient(server.url, server.adminToken);
    expect((await admin.post('/api/v1/flags', flagWith('star-chain', '^a*a*a*a*$'))).status).toBe(201);
    sdk = admin.withToken(await admin.token_('ofrep-regex', ['sdk:development']));
  });
  afterAll(() => server.close());

  it('evaluates ^a*a*a*a*$ against 1023 a and a b in well under 200 ms', async () => {
    const evaluate = (s: string) => sdk.post('/ofrep/v1/evaluate/flags/star-chain', { context: { targetingKey: 'u1', s } });
    await evaluate('warm-up');
    const started = performance.now();
    const worst = await evaluate(`${'a'.repeat(1023)}b`);
    const elapsed = performance.now() - started;
    expect(worst.body).toMatchObject({ key: 'star-chain', value: 'unmatched', variant: 'no' });
    expect(elapsed).toBeLessThan(200);
    expect((await evaluate('a'.repeat(1023))).body).toMatchObject({ value: 'matched', reason: 'TARGETING_MATCH' });
  });

  it.each([
    ['(a)\\1', 'backreferences are not supported'],
    ['(?<=@)example\\.com$', 'lookbehind is not supported'],
    ['^(?!admin)', 'lookahead is not supported'],
    ['^.{1000}$', 'too complex'],
  ])('refuses %j with 400 naming the field and the reason', async (pattern, reason) => {
    const refused = await admin.post('/api/v1/flags', flagWith('refused-regex', pattern));
    expect(refused.status).toBe(400);
    expect(refused.body.error.details).toEqual([
      { path: 'environments.development.rules[0].conditions[0].values[0]', problem: expect.stringContaining(`regex is not allowed: ${reason}`) },
    ]);
    expect((await admin.get('/api/v1/flags/refused-regex')).status).toBe(404);
  });
});
