import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { Client } from 'pg';
import { dropSchema, ensureSchema } from '@switchyard/persistence';
import { storeKeys } from '@switchyard/store';
import { PrivatePostgres, postgresBinDir } from '../../support/postgres-server';
import { PrivateRedis } from '../../support/redis-server';
import { requireTool } from '../../support/system-tool';
import { waitFor } from '../../support/test-server';
import { createFlag, isCleanUnavailable, ReplicaSet, unclean, type WriteOutcome } from './replica-set';

const DATABASE_URL = process.env.DATABASE_URL;
// Three processes need one real PostgreSQL: the shared one when given, else a private cluster.
const haveParts = requireTool('redis-server', 'redis-server') && (DATABASE_URL !== undefined || postgresBinDir() !== undefined);

/** Bounded load: clients per replica, at most this many writes, for at most this long. */
const CLIENTS_PER_REPLICA = 30;
const MAX_WRITES = 120;
const MAX_BURST_MS = 25_000;
/** Redis stays down for this many write attempts (or this long on a busy machine), then restarts. */
const OUTAGE_WRITES = 24;
const MAX_OUTAGE_MS = 6000;
const WRITE_TIMEOUT_MS = 15_000;

/**
 * Three server processes on one PostgreSQL and a private redis-server, 90 stream-mode SDK clients
 * (30 per replica), flags written continuously through all three. Redis is SIGKILLed mid-burst and
 * restarted empty on the same port (no persistence), as a Redis pod restart would be.
 */
(haveParts ? describe : describe.skip)('three replicas, Redis restarted', () => {
  const schema = DATABASE_URL ? `t_${randomBytes(5).toString('hex')}` : 'switchyard';
  let postgres: PrivatePostgres | undefined;
  let databaseUrl: string;
  let redis: PrivateRedis;
  let set: ReplicaSet;
  let sql: Client;

  beforeAll(async () => {
    redis = await PrivateRedis.start();
    if (DATABASE_URL) {
      databaseUrl = DATABASE_URL;
      await ensureSchema(databaseUrl, schema);
    } else {
      postgres = await PrivatePostgres.start();
      databaseUrl = postgres.url;
    }
    set = await ReplicaSet.start(3, {
      DATABASE_URL: databaseUrl,
      DATABASE_SCHEMA: schema,
      REDIS_URL: redis.url,
      // The reconcile loop is what rebuilds the emptied store; 1 s keeps the test short.
      RECONCILE_INTERVAL: '1s',
      SSE_HEARTBEAT: '5s',
    });
    await set.connectStreamClients(CLIENTS_PER_REPLICA);
    sql = new Client({ connectionString: databaseUrl, options: `-c search_path=${schema}` });
    await sql.connect();
  }, 180_000);

  afterAll(async () => {
    await set?.stop();
    await sql?.end();
    await redis?.stop();
    if (DATABASE_URL) await dropSchema(DATABASE_URL, schema);
    await postgres?.stop();
  }, 60_000);

  it('keeps every acknowledged write through the outage, refuses none half-way, and rebuilds the emptied store', async () => {
    expect(set.clients).toHaveLength(3 * CLIENTS_PER_REPLICA);
    for (const { client } of set.clients) expect(client.flagKeys()).toContain('seed');

    const outcomes: WriteOutcome[] = [];
    let attempted = 0;
    let killedAt = 0;
    let outageOver = false;
    const started = Date.now();
    // One writer per replica, each creating flags through its own replica, until the bounds are hit.
    const writer = async (replica: number) => {
      for (let n = 0; !outageOver && attempted < MAX_WRITES && Date.now() - started < MAX_BURST_MS; n++) {
        attempted += 1;
        const outcome = await createFlag(set, replica, `r-${replica}-${n}`, WRITE_TIMEOUT_MS);
        outcomes.push(outcome);
        // Mid-burst: after a third of the writes (or of the time), Redis dies without a goodbye...
        if (killedAt === 0 && (attempted >= MAX_WRITES / 3 || Date.now() - started >= MAX_BURST_MS / 3)) {
          killedAt = Date.now();
          await redis.kill();
        }
        // ...and the writes go on without it for a while.
        if (killedAt > 0 && (outcomes.filter((o) => o.at >= killedAt).length >= OUTAGE_WRITES || Date.now() - killedAt >= MAX_OUTAGE_MS)) outageOver = true;
      }
    };
    await Promise.all([0, 1, 2].map((replica) => writer(replica)));
    const burstMs = Date.now() - started;
    expect(killedAt).toBeGreaterThan(0);

    // PostgreSQL is the system of record: a write either succeeds or is a clean 503 — never 500, never no answer.
    expect(unclean(outcomes)).toEqual([]);
    const acknowledged = outcomes.filter((o) => o.status === 201).map((o) => o.key);
    const refused = outcomes.filter(isCleanUnavailable).map((o) => o.key);
    const duringOutage = outcomes.filter((o) => o.at >= killedAt);
    expect(duringOutage.length).toBeGreaterThan(0);

    // Every acknowledged write is in PostgreSQL; no refused one is.
    const stored = new Set((await sql.query<{ key: string }>('SELECT key FROM flags')).rows.map((row) => row.key));
    expect(acknowledged.filter((key) => !stored.has(key))).toEqual([]);
    expect(refused.filter((key) => stored.has(key))).toEqual([]);

    // Redis comes back empty on the same port (a restart without persistence). No write follows
    // until the store is whole again: what rebuilds it is the replicas' reconcile loop alone.
    const repairsBefore = await repairs(set);
    await redis.restart();
    const restartedAt = Date.now();
    const downMs = restartedAt - killedAt;
    // Clients of replicas that did not make a write learn of it from Redis or, while it is down, from
    // their replica's reconcile pass over the record: some may already hold everything.
    const laggingAtRestart = set.lagging(acknowledged, refused);
    const [{ version: recordVersion }] = (await sql.query<{ version: string }>(`SELECT version FROM environments WHERE key = 'staging'`)).rows;
    const direct = new Redis(redis.port, '127.0.0.1', { maxRetriesPerRequest: 1 });
    let rebuiltMs: number;
    try {
      await waitFor(
        async () => {
          const [json, version] = await Promise.all([
            direct.get(storeKeys.snapshot(set.prefix, 'staging')),
            direct.get(storeKeys.version(set.prefix, 'staging')),
          ]);
          if (!json || Number(version) < Number(recordVersion)) return false;
          const flags = (JSON.parse(json) as { flags: Record<string, unknown> }).flags;
          return acknowledged.every((key) => flags[key] !== undefined);
        },
        30_000,
        'the restarted Redis to hold the record’s snapshot',
      );
      rebuiltMs = Date.now() - restartedAt;
    } finally {
      direct.disconnect();
    }
    expect((await repairs(set)) - repairsBefore).toBeGreaterThanOrEqual(1);

    // Every client holds every acknowledged write and none of the refused ones.
    await waitFor(() => set.lagging(acknowledged, refused) === 0, 30_000, 'every client to hold every acknowledged flag');
    const convergedMs = Date.now() - restartedAt;

    // Writes through every replica reach every client through the restarted Redis.
    for (let replica = 0; replica < 3; replica++) {
      const after = await createFlag(set, replica, `after-restart-${replica}`, WRITE_TIMEOUT_MS);
      expect(after.status).toBe(201);
      acknowledged.push(after.key);
    }
    await waitFor(() => set.lagging(acknowledged) === 0, 30_000, 'every client to hold the writes made after the restart');

    process.stdout.write(
      `three replicas, Redis restarted: ${set.clients.length} stream clients (${CLIENTS_PER_REPLICA} per replica), ${outcomes.length} writes in ${burstMs} ms, ` +
        `${acknowledged.length - 3} acknowledged, ${refused.length} refused (503), 0 lost (PostgreSQL and all clients); ` +
        `Redis down ${downMs} ms with ${duringOutage.length} writes (${duringOutage.filter((o) => o.status === 201).length} acknowledged); ` +
        `store rebuilt by the reconcile loop ${rebuiltMs} ms and all clients converged ${convergedMs} ms after the restart ` +
        `(${laggingAtRestart} clients lagging at the restart)\n`,
    );
  }, 150_000);
});

/** Environments republished by the replicas' reconcile loops so far (their /metrics, summed). */
async function repairs(set: ReplicaSet): Promise<number> {
  let total = 0;
  for (const replica of set.replicas) {
    const text = await (await fetch(`${replica.url}/metrics`, { signal: AbortSignal.timeout(10_000) })).text();
    for (const line of text.split('\n')) {
      if (line.startsWith('switchyard_reconciler_repairs_total{')) total += Number(line.split(' ').pop());
    }
  }
  return total;
}
