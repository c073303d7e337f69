import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { dropSchema } from '@switchyard/persistence';
import { ApiClient } from '../../support/api-client';
import { newTestDatabase, resolveRedisUrl, startTestServer, waitFor, type TestDatabase, type TestServer } from '../../support/test-server';

/**
 * Scheduled flag changes on three replicas sharing one database and one Redis: a change fires once,
 * within a second of its time, whichever replica gets there; a cancelled one never fires; and one
 * whose time passes while every replica is down fires once, late, when a replica comes back.
 */
describe('scheduled flag changes across replicas', () => {
  const database: TestDatabase = newTestDatabase();
  const REDIS_PREFIX = `test:schedules:${randomBytes(4).toString('hex')}:`;
  let redis: { url: string };
  let replicas: TestServer[] = [];
  let admin: ApiClient;

  const start = (adminToken?: string) =>
    startTestServer({
      redis,
      database,
      env: { REDIS_PREFIX, SCHEDULE_POLL: '1s', RECONCILE_INTERVAL: '60s', ...(adminToken ? { SWITCHYARD_ADMIN_TOKEN: adminToken } : {}) },
    });

  beforeAll(async () => {
    redis = { url: (await resolveRedisUrl('auto'))! };
    const first = await start();
    replicas = [first, await start(first.adminToken), await start(first.adminToken)];
    admin = new ApiClient(first.url, first.adminToken);
    for (const key of ['launch', 'held', 'sentinel', 'bad-input', 'restart'])
      expect((await admin.post('/api/v1/flags', { key, type: 'boolean' })).status).toBe(201);
  }, 120_000);
  afterAll(async () => {
    for (const replica of replicas) await replica.close();
    if (database.url) await dropSchema(database.url, database.schema);
    rmSync(database.dataDir, { recursive: true, force: true });
  });

  const schedule = (client: ApiClient, flag: string, runAt: Date, change: unknown, environment = 'development') =>
    client.post(`/api/v1/flags/${flag}/schedules`, { environment, runAt: runAt.toISOString(), change });
  const scheduleOf = async (id: string) => (await admin.get(`/api/v1/schedules/${id}`)).body;
  const auditOf = async (flag: string, action: string) =>
    ((await admin.get(`/api/v1/audit?target=${encodeURIComponent(`flag:${flag}`)}&limit=100`)).body.items as any[]).filter((e) => e.action === action);

  it('fires once, within a second of its time, with three replicas polling; a cancelled one never fires', async () => {
    const clients = replicas.map((r) => new ApiClient(r.url, r.adminToken));
    const runAt = new Date(Date.now() + 2500);
    // Made through different replicas: each replica's timer knows only its own, the poll finds the rest.
    const fired = await schedule(clients[1], 'launch', runAt, {
      enabled: true,
      defaultServe: {
        rollout: [
          { variant: 'on', weight: 25_000 },
          { variant: 'off', weight: 75_000 },
        ],
      },
    });
    expect(fired.status).toBe(201);
    expect(fired.body).toMatchObject({ flag: 'launch', environment: 'development', state: 'pending', runAt: runAt.toISOString() });
    const held = await schedule(clients[2], 'held', new Date(runAt.getTime() + 200), { enabled: true });
    expect(held.status).toBe(201);
    const sentinel = await schedule(clients[0], 'sentinel', new Date(runAt.getTime() + 1500), { enabled: true });
    expect(sentinel.status).toBe(201);
    const versionBefore = (await admin.get('/api/v1/flags/launch')).body.version;

    const cancelled = await clients[0].delete(`/api/v1/schedules/${held.body.id}`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ state: 'cancelled', cancelledBy: expect.any(String) });
    const again = await clients[1].delete(`/api/v1/schedules/${held.body.id}`);
    expect(again.status).toBe(409);
    expect(again.body.error).toMatchObject({ code: 'SCHEDULE_CLOSED', details: [{ path: 'state', problem: 'is cancelled' }] });

    const done = await waitFor(
      async () => {
        const s = await scheduleOf(fired.body.id);
        return s.state === 'fired' && s;
      },
      10_000,
      'the schedule to fire',
    );
    process.stdout.write(`scheduled change fired ${done.lateMs} ms after its time (3 replicas, SCHEDULE_POLL 1s)\n`);
    expect(done.lateMs).toBeLessThan(1000);
    // The sentinel's firing means the held schedule's time has passed on every clock here.
    await waitFor(async () => (await scheduleOf(sentinel.body.id)).state === 'fired', 10_000, 'the sentinel to fire');

    const flag = (await admin.get('/api/v1/flags/launch')).body;
    expect(flag.version).toBe(versionBefore + 1);
    expect(flag.environments.development).toMatchObject({
      enabled: true,
      defaultServe: {
        rollout: [
          { variant: 'on', weight: 25_000 },
          { variant: 'off', weight: 75_000 },
        ],
      },
    });
    expect(done.appliedVersion).toBe(flag.version);
    const firedEvents = await auditOf('launch', 'flag.schedule.fired');
    expect(firedEvents).toHaveLength(1);
    expect(firedEvents[0].meta).toMatchObject({ schedule: fired.body.id, appliedVersion: flag.version });
    expect(await auditOf('launch', 'flag.environment.updated')).toHaveLength(1);

    expect((await scheduleOf(held.body.id)).state).toBe('cancelled');
    expect((await admin.get('/api/v1/flags/held')).body.environments.development.enabled).toBe(false);
    expect(await auditOf('held', 'flag.schedule.fired')).toHaveLength(0);
    expect(await auditOf('held', 'flag.schedule.cancelled')).toHaveLength(1);

    const listed = await admin.get('/api/v1/schedules?flag=launch&state=fired');
    expect(listed.body.items.map((s: any) => s.id)).toEqual([fired.body.id]);
    const timeline = (await admin.get('/api/v1/changes?environment=development&limit=100')).body.items as any[];
    expect(timeline.some((e) => e.action === 'flag.schedule.fired' && e.target === 'flag:launch')).toBe(true);
  }, 60_000);

  it('refuses bad input with a 4xx naming the field, and schedules nothing', async () => {
    const future = new Date(Date.now() + 60_000);
    const cases: Array<[unknown, number, string]> = [
      [{ environment: 'development', runAt: new Date(Date.now() - 60_000).toISOString(), change: { enabled: true } }, 400, 'runAt'],
      [{ environment: 'development', runAt: 'next monday', change: { enabled: true } }, 400, 'runAt'],
      [{ environment: 'moon', runAt: future.toISOString(), change: { enabled: true } }, 400, 'environment'],
      [{ environment: 'development', runAt: future.toISOString(), change: { enabled: 'yes' } }, 400, 'change.enabled'],
      [{ environment: 'development', runAt: future.toISOString(), change: { colour: 'red' } }, 400, 'change'],
      [{ environment: 'development', runAt: future.toISOString(), change: { defaultServe: { variant: 'maybe' } } }, 400, 'change.defaultServe'],
      [{ environment: 'development', runAt: future.toISOString(), change: {} }, 400, 'change'],
    ];
    const before = (await admin.get('/api/v1/flags/bad-input')).body.version;
    for (const [body, status, path] of cases) {
      const res = await admin.post('/api/v1/flags/bad-input/schedules', body);
      expect({ body, status: res.status }).toEqual({ body, status });
      expect(res.body.error.details.map((d: any) => d.path).some((p: string) => p === path || p.startsWith(`${path}.`))).toBe(true);
    }
    expect(
      (await admin.post('/api/v1/flags/nope/schedules', { environment: 'development', runAt: future.toISOString(), change: { enabled: true } })).status,
    ).toBe(404);
    expect((await admin.get('/api/v1/schedules?flag=bad-input')).body.items).toEqual([]);
    expect((await admin.get('/api/v1/flags/bad-input')).body.version).toBe(before);
    expect(await auditOf('bad-input', 'flag.schedule.created')).toHaveLength(0);
  });

  it('fires once, late and saying so, when every replica was down at its time', async () => {
    const runAt = new Date(Date.now() + 1500);
    const made = await schedule(admin, 'restart', runAt, { enabled: true });
    expect(made.status).toBe(201);
    const adminToken = replicas[0].adminToken;
    for (const replica of replicas) await replica.close();
    replicas = [];
    // Nothing runs at runAt: the time passes with no replica up.
    await waitFor(() => Date.now() > runAt.getTime() + 1000, 10_000, 'the schedule’s time to pass');
    const back = await start(adminToken);
    replicas = [back];
    admin = new ApiClient(back.url, adminToken);
    const done = await waitFor(
      async () => {
        const s = await scheduleOf(made.body.id);
        return s.state === 'fired' && s;
      },
      10_000,
      'the restarted replica to fire it',
    );
    expect(done.lateMs).toBeGreaterThan(1000);
    expect((await admin.get('/api/v1/flags/restart')).body.environments.development.enabled).toBe(true);
    const fired = await auditOf('restart', 'flag.schedule.fired');
    expect(fired).toHaveLength(1);
    expect(fired[0].summary.join(' ')).toMatch(/fired \d+\.\d s late/);
    process.stdout.write(`restart: fired ${done.lateMs} ms late by the replica that came back\n`);
  }, 60_000);
});
