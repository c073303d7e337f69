import { Redis } from 'ioredis';
import { storeKeys } from '@switchyard/store';
import { requireTool } from '../../support/system-tool';
import { PrivateRedisSentinel } from '../../support/redis-cluster';
import { HaFleet } from './ha-fixture';

const haveSentinel = requireTool('redis-server', 'redis-server') && requireTool('redis-sentinel', 'redis-sentinel');

/**
 * Redis under Sentinel on loopback (a master, a replica, three Sentinels). Two server replicas and
 * the SDK's redis mode find the master through the Sentinels; the master is SIGKILLed half-way
 * through a burst of writes and Sentinel promotes the replica.
 */
(haveSentinel ? describe : describe.skip)('Redis Sentinel failover', () => {
  let sentinel: PrivateRedisSentinel;
  let fleet: HaFleet;

  beforeAll(async () => {
    sentinel = await PrivateRedisSentinel.start('switchyard', 1);
    fleet = new HaFleet({ REDIS_SENTINELS: sentinel.sentinelList, REDIS_SENTINEL_NAME: sentinel.name });
    await fleet.start(2);
    await fleet.connectStreamClients(5);
    await fleet.connectRedisClients(5, { sentinels: sentinel.sentinelNodes, sentinelName: sentinel.name });
  }, 120_000);

  afterAll(async () => {
    await fleet?.stop();
    await sentinel?.stop();
  });

  it('keeps writing through the failover, loses nothing acknowledged, and every client converges', async () => {
    for (const client of fleet.clients) expect(client.flagKeys()).toContain('seed');
    const oldMaster = sentinel.master();
    const started = Date.now();
    await fleet.burst(40, () => oldMaster.kill());
    const newMasterPort = await sentinel.failedOverFrom(oldMaster.port);
    expect(newMasterPort).not.toBe(oldMaster.port);
    expect(fleet.refused).toEqual([]);
    expect(fleet.acknowledged).toHaveLength(40);
    await fleet.converged(30_000);
    process.stdout.write(
      `redis sentinel: 40/40 writes acknowledged, master killed mid-burst, failover to :${newMasterPort}, ` +
        `${fleet.clients.length} clients converged in ${Date.now() - started} ms\n`,
    );
    // The promoted master holds every acknowledged flag: writes reached Redis again after the failover.
    const direct = new Redis(newMasterPort, '127.0.0.1', { maxRetriesPerRequest: 1 });
    try {
      const stored = JSON.parse((await direct.get(storeKeys.snapshot(fleet.prefix, 'staging')))!) as { flags: Record<string, unknown> };
      for (const key of fleet.acknowledged) expect(stored.flags[key]).toBeDefined();
    } finally {
      direct.disconnect();
    }
    // A write after the failover reaches every client through the new master.
    expect((await fleet.admin(1).post('/api/v1/flags', { key: 'after-failover', type: 'boolean', environments: { staging: { enabled: true } } })).status).toBe(
      201,
    );
    fleet.acknowledged.push('after-failover');
    await fleet.converged(15_000);
  }, 120_000);
});
