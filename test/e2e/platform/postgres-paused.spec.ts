import { Client } from 'pg';
import { hashToken } from '@switchyard/auth';
import { ApiClient } from '../../support/api-client';
import { json } from '../../support/http';
import { PrivatePostgres, postgresBinDir } from '../../support/postgres-server';
import { startTestServer, waitFor, type TestServer } from '../../support/test-server';

const havePostgres = postgresBinDir() !== undefined || process.env.CI === 'true';

/**
 * Every PostgreSQL process paused (SIGSTOP): connections stay open and nothing answers — the
 * hardest outage for a client, which cannot tell it from a slow query. This runs a private cluster
 * (initdb in a temp dir, its own port) because the machine's shared server must not be frozen.
 */
(havePostgres ? describe : describe.skip)('PostgreSQL paused', () => {
  let postgres: PrivatePostgres;
  let server: TestServer;
  let admin: ApiClient;
  let sdkToken: string;
  let revokedElsewhere: string;
  let sql: Client;

  beforeAll(async () => {
    postgres = await PrivatePostgres.start();
    server = await startTestServer({
      database: { url: postgres.url, schema: 'switchyard', dataDir: postgres.dataDir, owned: false },
      // Short bounds keep the test quick; the defaults (5 s) behave the same, only slower.
      env: { DATABASE_STATEMENT_TIMEOUT: '1500ms', DATABASE_ACQUIRE_TIMEOUT: '1500ms', TOKEN_CACHE_MAX_STALE: '5m' },
    });
    admin = new ApiClient(server.url, server.adminToken);
    expect((await admin.post('/api/v1/flags', { key: 'banner', type: 'boolean', environments: { staging: { enabled: true } } })).status).toBe(201);
    sdkToken = await admin.token_('sdk-staging', ['sdk:staging']);
    revokedElsewhere = await admin.token_('sdk-revoked', ['sdk:staging']);
    sql = new Client({ connectionString: postgres.url, options: '-c search_path=switchyard' });
    await sql.connect();
  }, 90_000);

  afterAll(async () => {
    postgres?.resume();
    await sql?.end();
    await server?.close();
    await postgres?.stop();
  });

  const snapshot = (token: string) =>
    fetch(`${server.url}/sdk/v1/snapshot`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(15_000) });
  const ofrep = (token: string) =>
    fetch(`${server.url}/ofrep/v1/evaluate/flags/banner`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ context: { targetingKey: 'u-1' } }),
      signal: AbortSignal.timeout(15_000),
    });
  const counts = async () => {
    const [row] = (
      await sql.query<{ versions: string; events: string; enabled: boolean }>(
        `SELECT (SELECT count(*) FROM flag_versions) AS versions, (SELECT count(*) FROM audit_events) AS events,
                (SELECT (config->>'enabled')::boolean FROM flag_environments WHERE flag_key = 'banner' AND environment_key = 'staging') AS enabled`,
      )
    ).rows;
    return row;
  };

  it('keeps serving SDK and OFREP reads from memory, answers writes 503 with the reason, and re-checks tokens once it is back', async () => {
    // Both tokens are seen while the database is up, so this replica knows their verdicts.
    expect((await snapshot(sdkToken)).status).toBe(200);
    expect((await snapshot(revokedElsewhere)).status).toBe(200);
    // Another replica revokes one token (its cache here is not cleared), then the database stops.
    await sql.query('UPDATE api_tokens SET revoked_at = now() WHERE token_hash = $1', [hashToken(revokedElsewhere)]);
    const before = await counts();
    postgres.pause();
    const pausedAt = Date.now();

    // A write neither hangs nor half-happens: a bounded 503 in the one error shape, naming the database.
    const started = Date.now();
    const write = await admin.post('/api/v1/flags/banner/environments/staging/toggle', { enabled: false });
    const writeMs = Date.now() - started;
    expect(write.status).toBe(503);
    expect(write.body.error).toMatchObject({ code: 'UNAVAILABLE', details: [{ path: 'database' }] });
    expect(write.body.error.details[0].problem).toMatch(/within \d+ ms|statement timeout/);
    expect(typeof write.body.error.requestId).toBe('string');
    expect(Number(write.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(writeMs).toBeLessThan(10_000);

    // Reads for 15 s, well past the 5 s fresh-verdict window: every one is served.
    const outcomes: number[] = [];
    const latencies: number[] = [];
    while (Date.now() - pausedAt < 15_000) {
      const t0 = Date.now();
      const [a, b] = await Promise.all([snapshot(sdkToken), ofrep(sdkToken)]);
      latencies.push(Date.now() - t0);
      outcomes.push(a.status, b.status);
      expect((await json(a)).flags.banner).toBeDefined();
      expect((await json(b)).value).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    process.stdout.write(
      `postgres paused: ${outcomes.filter((s) => s === 200).length}/${outcomes.length} SDK+OFREP reads served in 15 s; ` +
        `write answered 503 in ${writeMs} ms; read latency max ${Math.max(...latencies)} ms\n`,
    );
    expect(outcomes.every((status) => status === 200)).toBe(true);
    // Known outage: a known token does not wait out a timeout.
    expect(latencies.slice(-3).every((ms) => ms < 1000)).toBe(true);

    // The revoked token still has its last known verdict (the documented trade-off, bounded by TOKEN_CACHE_MAX_STALE)...
    expect((await snapshot(revokedElsewhere)).status).toBe(200);
    // ...and a token this replica never saw cannot be verified: 503, not a false 401 or 200.
    const unknown = await snapshot('sy_never_seen_token_0123456789abcdef');
    expect(unknown.status).toBe(503);
    expect((await json(unknown)).error.details[0].path).toBe('database');

    postgres.resume();

    // Once the database answers, the revoked token stops working.
    await waitFor(async () => (await snapshot(revokedElsewhere)).status === 401, 15_000, 'the revoked token to be refused');
    // Nothing of the refused write reached the record: no version, no audit event, state unchanged.
    expect(await counts()).toEqual(before);
    // Writes work again on the same pool (connections broken by the pause were discarded).
    const after = await waitFor(
      async () => {
        const res = await admin.post('/api/v1/flags/banner/environments/staging/toggle', { enabled: false });
        return res.status === 200 ? res : undefined;
      },
      15_000,
      'a write to succeed',
    );
    expect(after.status).toBe(200);
    expect((await counts()).enabled).toBe(false);
  }, 90_000);
});
