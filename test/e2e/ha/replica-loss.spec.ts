import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { ClientEvent, createClient, type SwitchyardClient } from '@switchyard/node-sdk';
import { dropSchema, ensureSchema } from '@switchyard/persistence';
import { ApiClient } from '../../support/api-client';
import { ensureServerBuild, ServerProcess } from '../../support/built-server';
import { freePort } from '../../support/free-port';
import { PrivateRedis } from '../../support/redis-server';
import { requireTool } from '../../support/system-tool';
import { TcpBalancer } from '../../support/tcp-balancer';
import { waitFor } from '../../support/test-server';

const DATABASE_URL = process.env.DATABASE_URL;
const haveParts = requireTool('redis-server', 'redis-server') && DATABASE_URL !== undefined;

/** Bounded load: this many SDK clients, at most this many writes, for at most this long. */
const CLIENTS = 300;
const MAX_WRITES = 150;
const MAX_BURST_MS = 20_000;
/** The SDK clients' reconnect backoff (first delay, cap). */
const RECONNECT_INITIAL_MS = 500;
const RECONNECT_MAX_MS = 2000;

interface Watched {
  client: SwitchyardClient;
  staleAt?: number;
  reconnectMs?: number;
}

/**
 * Three server processes on one PostgreSQL and one Redis, behind a round-robin balancer (as a
 * Kubernetes Service), with 300 stream-mode SDK clients spread over them. Flags are written
 * continuously through all three; one replica is SIGKILLed mid-burst, then restarted.
 *
 * A rollout driven by a lost replica resuming on another within ROLLOUT_LEASE is covered by the
 * rollout lease tests (test/e2e/rollout), not repeated here.
 */
(haveParts ? describe : describe.skip)('three replicas, one lost', () => {
  const schema = `t_${randomBytes(5).toString('hex')}`;
  const adminToken = `sy_test_${randomBytes(18).toString('base64url')}`;
  const prefix = `test:${randomBytes(5).toString('hex')}:`;
  let redis: PrivateRedis;
  let replicas: ServerProcess[] = [];
  let balancer: TcpBalancer;
  let sql: Client;
  let sdkToken: string;
  const watched: Watched[] = [];

  beforeAll(async () => {
    ensureServerBuild();
    redis = await PrivateRedis.start();
    await ensureSchema(DATABASE_URL!, schema);
    const env = {
      DATABASE_URL: DATABASE_URL!,
      DATABASE_SCHEMA: schema,
      REDIS_URL: redis.url,
      REDIS_PREFIX: prefix,
      SWITCHYARD_ADMIN_TOKEN: adminToken,
      RECONCILE_INTERVAL: '2s',
      SSE_HEARTBEAT: '5s',
    };
    replicas = await Promise.all([freePort(), freePort(), freePort()]).then((ports) => ports.map((port) => new ServerProcess(port, env)));
    // The first runs the migrations; the other two start on the migrated schema together.
    await replicas[0].start();
    await Promise.all(replicas.slice(1).map((replica) => replica.start()));
    const admin = new ApiClient(replicas[0].url, adminToken);
    expect((await admin.post('/api/v1/flags', { key: 'seed', type: 'boolean', environments: { staging: { enabled: true } } })).status).toBe(201);
    sdkToken = await admin.token_('sdk-staging', ['sdk:staging']);
    balancer = await TcpBalancer.start(replicas.map((replica) => replica.port));
    for (let batch = 0; batch < CLIENTS; batch += 25) {
      const clients = await Promise.all(
        Array.from({ length: Math.min(25, CLIENTS - batch) }, () =>
          createClient({
            url: balancer.url,
            token: sdkToken,
            mode: 'stream',
            metricsIntervalMs: 0,
            reconnectInitialMs: RECONNECT_INITIAL_MS,
            reconnectMaxMs: RECONNECT_MAX_MS,
            timeoutMs: 20_000,
          }),
        ),
      );
      for (const client of clients) {
        const entry: Watched = { client };
        client.on(ClientEvent.Stale, () => {
          entry.staleAt ??= Date.now();
        });
        client.on(ClientEvent.Ready, () => {
          if (entry.staleAt !== undefined && entry.reconnectMs === undefined) entry.reconnectMs = Date.now() - entry.staleAt;
        });
        watched.push(entry);
      }
    }
    sql = new Client({ connectionString: DATABASE_URL, options: `-c search_path=${schema}` });
    await sql.connect();
  }, 300_000);

  afterAll(async () => {
    await Promise.all(watched.map(({ client }) => client.close()));
    await balancer?.stop();
    await Promise.all(replicas.map((replica) => replica.kill('SIGTERM')));
    await sql?.end();
    await redis?.stop();
    if (DATABASE_URL) await dropSchema(DATABASE_URL, schema);
  }, 60_000);

  it('loses no acknowledged write, moves the lost replica’s clients to the others, and the restarted replica catches up', async () => {
    expect(watched).toHaveLength(CLIENTS);
    for (const { client } of watched) expect(client.flagKeys()).toContain('seed');
    const spread = replicas.map((replica) => balancer.connectionsTo(replica.port));
    // Round-robin: every replica carries about a third of the clients.
    for (const count of spread) expect(count).toBeGreaterThanOrEqual(CLIENTS / 3 - 20);

    const victim = replicas[2];
    const acknowledged: string[] = [];
    let attempted = 0;
    let killedAt = 0;
    let onVictimAtKill = 0;
    let allBack: Promise<number> | undefined;
    const failures: string[] = [];
    const started = Date.now();
    // One writer per replica, each creating flags through its own replica, until the bounds are hit.
    const writer = async (index: number) => {
      const admin = new ApiClient(replicas[index].url, adminToken);
      for (let n = 0; attempted < MAX_WRITES && Date.now() - started < MAX_BURST_MS; n++) {
        if (index === 2 && killedAt > 0) return;
        attempted += 1;
        const key = `w-${index}-${n}`;
        const res = await admin.post('/api/v1/flags', { key, type: 'boolean', environments: { staging: { enabled: n % 2 === 0 } } }).catch(() => undefined);
        if (res?.status === 201) acknowledged.push(key);
        else failures.push(res ? `${res.status} ${JSON.stringify(res.body).slice(0, 200)}` : 'no answer');
        // Mid-burst: after a third of the writes, or a third of the time on a machine too busy for that.
        if (killedAt === 0 && (acknowledged.length >= MAX_WRITES / 3 || Date.now() - started >= MAX_BURST_MS / 3)) {
          killedAt = Date.now();
          onVictimAtKill = balancer.connectionsTo(victim.port);
          await victim.kill('SIGKILL');
          // Back = every client connected again, all of them through the two survivors.
          const survivors = replicas.filter((replica) => replica !== victim);
          allBack = waitFor(
            () => {
              const onSurvivors = survivors.reduce((sum, replica) => sum + balancer.connectionsTo(replica.port), 0);
              return onSurvivors >= CLIENTS && watched.every(({ client }) => client.stats().connected) ? Date.now() - killedAt : undefined;
            },
            60_000,
            'every client connected to a surviving replica',
          );
          // Awaited after the burst; until then a timeout must not surface as an unhandled rejection.
          allBack.catch(() => undefined);
        }
      }
    };
    await Promise.all([0, 1, 2].map((index) => writer(index)));
    const burstMs = Date.now() - started;
    if (killedAt === 0)
      process.stdout.write(
        `burst did not reach the kill: ${JSON.stringify({ attempted, acknowledged: acknowledged.length, burstMs, failures: failures.slice(0, 5) })}\n`,
      );
    expect(killedAt).toBeGreaterThan(0);

    // Every acknowledged write is in PostgreSQL.
    const stored = new Set((await sql.query<{ key: string }>('SELECT key FROM flags')).rows.map((row) => row.key));
    const missingInRecord = acknowledged.filter((key) => !stored.has(key));
    expect(missingInRecord).toEqual([]);

    // Every client — those of the lost replica included — holds every acknowledged write.
    const lagging = () => watched.filter(({ client }) => !acknowledged.every((key) => client.flagKeys().includes(key))).length;
    await waitFor(() => lagging() === 0, 60_000, 'every client to hold every acknowledged flag');
    const convergedMs = Date.now() - killedAt;

    // The lost replica's clients went stale and came back through the others within their backoff.
    const allBackMs = await allBack!;
    const moved = watched.filter((entry) => entry.staleAt !== undefined && entry.reconnectMs !== undefined);
    expect(moved.length).toBeGreaterThan(0);
    const reconnects = moved.map((entry) => entry.reconnectMs!).sort((a, b) => a - b);
    const p50 = reconnects[Math.floor(reconnects.length / 2)];
    const max = reconnects[reconnects.length - 1];
    expect(balancer.connectionsTo(victim.port)).toBe(0);

    // The restarted replica catches up by itself (from Redis and the record) and serves the latest.
    const restartedAt = Date.now();
    await victim.start();
    const fresh = await createClient({ url: victim.url, token: sdkToken, mode: 'stream', metricsIntervalMs: 0, timeoutMs: 20_000 });
    try {
      for (const key of acknowledged) expect(fresh.flagKeys()).toContain(key);
      const after = await new ApiClient(victim.url, adminToken).post('/api/v1/flags', {
        key: 'after-restart',
        type: 'boolean',
        environments: { staging: { enabled: true } },
      });
      expect(after.status).toBe(201);
      acknowledged.push('after-restart');
      await waitFor(() => lagging() === 0, 30_000, 'every client to hold the write made through the restarted replica');
    } finally {
      await fresh.close();
    }
    const caughtUpMs = Date.now() - restartedAt;

    process.stdout.write(
      `three replicas, one lost: ${CLIENTS} stream clients (${spread.join('/')} per replica), ${attempted} writes attempted in ${burstMs} ms, ` +
        `${acknowledged.length - 1} acknowledged, 0 lost (PostgreSQL and all ${CLIENTS} clients); replica SIGKILLed with ${onVictimAtKill} connections; ` +
        `all ${CLIENTS} clients connected through the 2 survivors ${allBackMs} ms after the kill (backoff ${RECONNECT_INITIAL_MS}–${RECONNECT_MAX_MS} ms; ` +
        `${moved.length} went stale, stale→ready p50 ${p50} ms, max ${max} ms); ` +
        `all clients converged ${convergedMs} ms after the kill; restarted replica ready and caught up in ${caughtUpMs} ms\n`,
    );
    // Within their backoff: the first retry (≤ the cap) plus opening a stream on a survivor. Measured
    // 0.5 s at load average 13 and 11.4 s at 16 (this machine's 2 cores shared by several suites), so
    // the allowance covers 100 clients landing on two busy replicas at once, not a slow SDK.
    expect(allBackMs).toBeLessThan(RECONNECT_MAX_MS + 20_000);
  }, 240_000);
});
