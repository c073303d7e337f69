import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { ApiClient } from '../../support/api-client';
import { PrivateRedis } from '../../support/redis-server';
import { SseClient } from '../../support/sse-client';
import { requireTool } from '../../support/system-tool';
import { startTestServer, waitFor, type TestServer } from '../../support/test-server';

const RECONCILE_MS = 1_000;
// ioredis reconnects with a backoff capped at 2 s, so after a restart the store may need that long
// to notice Redis is back; the reconcile interval comes on top.
const RECONNECT_MARGIN_MS = 3_000;
const WRITES = 200;
const FLAGS = 4;
const WORKERS = 4;
const ENV = 'development';

/**
 * PostgreSQL is the record and Redis a projection: Redis is SIGKILLed in the middle of a burst of
 * writes and restarted before it ends. Every write must still be in PostgreSQL, and one reconcile
 * interval after Redis is back, Redis and the stream clients of both replicas hold the final
 * version. A flushed Redis is rebuilt the same way.
 */
(requireTool('redis-server', 'redis-server') ? describe : describe.skip)('Redis outage during a burst of writes', () => {
  let redis: PrivateRedis;
  let a: TestServer;
  let b: TestServer;
  let admin: ApiClient;
  let streamA: SseClient;
  let streamB: SseClient;
  const REDIS_PREFIX = `test:outage:${randomBytes(4).toString('hex')}:`;

  /** Reads the projection straight from Redis with a fresh connection (Redis may have just restarted). */
  const readStore = async (): Promise<{ version?: number; snapshot?: any }> => {
    const client = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
    client.on('error', () => undefined);
    try {
      await client.connect();
      const [version, snapshot] = await Promise.all([client.get(`${REDIS_PREFIX}env:{${ENV}}:version`), client.get(`${REDIS_PREFIX}env:{${ENV}}:snapshot`)]);
      return { version: version === null ? undefined : Number(version), snapshot: snapshot === null ? undefined : JSON.parse(snapshot) };
    } catch {
      return {};
    } finally {
      client.disconnect();
    }
  };

  const recordVersion = async (): Promise<number> =>
    ((await admin.get('/api/v1/environments')).body.items as Array<{ key: string; version: number }>).find((e) => e.key === ENV)!.version;

  const auditCount = async (target: string): Promise<number> => {
    let count = 0;
    let cursor: string | null = null;
    do {
      const page = await admin.get(`/api/v1/audit?target=${target}&limit=500${cursor ? `&cursor=${cursor}` : ''}`);
      count += page.body.items.length;
      cursor = page.body.nextCursor;
    } while (cursor);
    return count;
  };

  /** The targeting of every burst flag as PostgreSQL has it, in snapshot form. */
  const recordState = async () => {
    const out: Record<string, unknown> = {};
    for (let k = 0; k < FLAGS; k++) {
      const env = (await admin.get(`/api/v1/flags/burst-${k}`)).body.environments[ENV];
      out[`burst-${k}`] = { enabled: env.enabled, defaultServe: env.defaultServe, rules: env.rules, version: env.version };
    }
    return out;
  };
  const storedState = (snapshot: any) => {
    const out: Record<string, unknown> = {};
    for (let k = 0; k < FLAGS; k++) {
      const flag = snapshot.flags[`burst-${k}`];
      out[`burst-${k}`] = { enabled: flag.enabled, defaultServe: flag.defaultServe, rules: flag.rules, version: flag.version };
    }
    return out;
  };

  const publishFailures = async (): Promise<number> => {
    const metrics = await (await fetch(`${a.url}/metrics`)).text();
    return Number(/^switchyard_store_publish_failures_total\{store="redis"\} (\d+)/m.exec(metrics)?.[1] ?? 0);
  };

  beforeAll(async () => {
    redis = await PrivateRedis.start();
    const env = { REDIS_PREFIX, RECONCILE_INTERVAL: `${RECONCILE_MS}ms` };
    a = await startTestServer({ redis: { url: redis.url }, env });
    b = await startTestServer({ redis: { url: redis.url }, database: a.database, env });
    admin = new ApiClient(a.url, a.adminToken);
    for (let k = 0; k < FLAGS; k++) expect((await admin.post('/api/v1/flags', { key: `burst-${k}`, type: 'boolean' })).status).toBe(201);
    const sdk = await admin.token_('outage-sdk', [`sdk:${ENV}`]);
    streamA = await SseClient.connect(`${a.url}/sdk/v1/stream`, { authorization: `Bearer ${sdk}` });
    streamB = await SseClient.connect(`${b.url}/sdk/v1/stream`, { authorization: `Bearer ${sdk}` });
    await streamA.next((e) => e.event === 'snapshot');
    await streamB.next((e) => e.event === 'snapshot');
  }, 60_000);

  afterAll(async () => {
    streamA?.close();
    streamB?.close();
    await b?.close();
    await a?.close();
    await redis?.stop();
  });

  // Restarted mid-burst, later writes may publish again by themselves; restarted after it, only the
  // reconciler can bring Redis up to date.
  it.each([
    ['during the burst', 140],
    ['after the burst', WRITES],
  ])(
    'keeps every write in PostgreSQL and repairs Redis and the streams within one reconcile interval (Redis restarted %s)',
    async (_when, restartAfter) => {
      const initialVersion = await recordVersion();
      await waitFor(async () => (await readStore()).version === initialVersion, RECONCILE_MS + RECONNECT_MARGIN_MS, 'Redis to be current before the burst');
      const auditBefore = await Promise.all(Array.from({ length: FLAGS }, (_, k) => auditCount(`flag:burst-${k}`)));
      const versionsBefore = await Promise.all(
        Array.from({ length: FLAGS }, async (_, k) => (await admin.get(`/api/v1/flags/burst-${k}`)).body.version as number),
      );
      const failuresBefore = await publishFailures();

      // 200 writes from 4 concurrent workers: toggles, and every third write a targeting patch.
      let next = 0;
      let completed = 0;
      let killed: Promise<void> | undefined;
      let restarted: Promise<number> | undefined;
      const statuses: number[] = [];
      const perFlag = new Array<number>(FLAGS).fill(0);
      const worker = async () => {
        while (next < WRITES) {
          const i = next++;
          const key = `burst-${i % FLAGS}`;
          const res =
            i % 3 === 0
              ? await admin.patch(`/api/v1/flags/${key}/environments/${ENV}`, {
                  defaultServe: { variant: i % 2 ? 'on' : 'off' },
                  rules: [{ description: `write ${i}`, conditions: [{ attribute: 'n', operator: 'gte', values: [i] }], serve: { variant: 'on' } }],
                })
              : await admin.post(`/api/v1/flags/${key}/environments/${ENV}/toggle`, {});
          statuses.push(res.status);
          if (res.status === 200) perFlag[i % FLAGS] += 1;
          completed += 1;
          if (completed === 60) killed = redis.kill();
          if (completed === restartAfter) restarted = killed!.then(() => redis.restart()).then(() => performance.now());
        }
      };
      const burstStarted = performance.now();
      await Promise.all(Array.from({ length: WORKERS }, worker));
      const burstEnded = performance.now();
      const burstMs = burstEnded - burstStarted;
      // The clock for "within one reconcile interval" starts once Redis is back and the writes are over.
      const backAt = Math.max(await restarted!, burstEnded);

      // The outage really hit the burst: some publishes failed and were left to the reconciler.
      const failures = (await publishFailures()) - failuresBefore;
      expect(failures).toBeGreaterThan(0);

      // Every write answered 200 and is in the record: versions, version rows and audit events agree.
      expect(statuses).toHaveLength(WRITES);
      expect(statuses.filter((s) => s !== 200)).toEqual([]);
      const finalVersion = await recordVersion();
      expect(finalVersion).toBe(initialVersion + WRITES);
      for (let k = 0; k < FLAGS; k++) {
        const flag = (await admin.get(`/api/v1/flags/burst-${k}`)).body;
        expect(flag.version).toBe(versionsBefore[k] + perFlag[k]);
        expect((await admin.get(`/api/v1/flags/burst-${k}/versions`)).body.items).toHaveLength(versionsBefore[k] + perFlag[k]);
        expect(await auditCount(`flag:burst-${k}`)).toBe(auditBefore[k] + perFlag[k]);
      }

      // Redis catches up with the record: the version key, and a snapshot that matches PostgreSQL.
      const expected = await recordState();
      const repaired = await waitFor(
        async () => {
          const stored = await readStore();
          return stored.version === finalVersion && stored.snapshot?.version === finalVersion ? stored : undefined;
        },
        RECONCILE_MS + RECONNECT_MARGIN_MS,
        'Redis to hold the final version',
      );
      const redisCaughtUpMs = performance.now() - backAt;
      expect(storedState(repaired.snapshot)).toEqual(expected);

      // Both replicas' stream clients reach the final version (B only ever hears of it through Redis or its reconciler).
      const bound = Math.max(0, RECONCILE_MS + RECONNECT_MARGIN_MS - (performance.now() - backAt));
      const [lastA, lastB] = await Promise.all([
        streamA.next((e) => Number(e.id) === finalVersion, bound + 1),
        streamB.next((e) => Number(e.id) === finalVersion, bound + 1),
      ]);
      const streamsCaughtUpMs = Math.max(lastA.receivedAt, lastB.receivedAt) - backAt;
      for (const stream of [streamA, streamB]) expect(stream.closed).toBe(false);
      const serving = await new ApiClient(b.url, b.adminToken).get(`/sdk/v1/snapshot?environment=${ENV}`);
      expect(serving.body.version).toBe(finalVersion);
      expect(storedState(serving.body)).toEqual(expected);

      process.stdout.write(
        `redis outage, restarted ${_when}: ${WRITES} writes in ${burstMs.toFixed(0)} ms, all 200 (${failures} publishes failed); once Redis was back and the burst over, Redis held version ${finalVersion} in ` +
          `${Math.max(0, redisCaughtUpMs).toFixed(0)} ms and both stream clients in ${Math.max(0, streamsCaughtUpMs).toFixed(0)} ms ` +
          `(reconcile interval ${RECONCILE_MS} ms)\n`,
      );
    },
    60_000,
  );

  it('rebuilds a flushed Redis', async () => {
    const version = await recordVersion();
    const flusher = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 0 });
    await flusher.connect();
    await flusher.flushall();
    flusher.disconnect();
    const flushedAt = performance.now();
    expect((await readStore()).version).toBeUndefined();

    const rebuilt = await waitFor(
      async () => {
        const stored = await readStore();
        return stored.version === version && stored.snapshot?.version === version ? stored : undefined;
      },
      // No reconnection involved here: one interval, plus scheduling slack.
      RECONCILE_MS + 1_000,
      'the reconciler to rebuild the flushed store',
    );
    expect(storedState(rebuilt.snapshot)).toEqual(await recordState());
    process.stdout.write(`flushed Redis rebuilt in ${(performance.now() - flushedAt).toFixed(0)} ms\n`);

    // And the channel works again: a new write reaches B's stream client.
    const toggled = await admin.post(`/api/v1/flags/burst-0/environments/${ENV}/toggle`, {});
    expect(toggled.status).toBe(200);
    const event = await streamB.next((e) => Number(e.id) === version + 1, 5_000);
    expect(event.event).toBe('change');
  }, 30_000);
});
