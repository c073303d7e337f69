import { Cluster } from 'ioredis';
import { storeKeys } from '@switchyard/store';
import { requireTool } from '../../support/system-tool';
import { PrivateRedisCluster } from '../../support/redis-cluster';
import { HaFleet } from './ha-fixture';

const haveRedis = requireTool('redis-server', 'redis-server') && requireTool('redis-cli', 'redis-tools');

/**
 * A real Redis Cluster (3 masters, 1 replica each) on loopback. The store's compare-and-set script
 * touches an environment's snapshot and version keys, which share a hash tag and so one slot (before,
 * it also passed the channel as a key: CROSSSLOT on any cluster). The master holding that slot is
 * killed half-way through a burst of writes.
 */
(haveRedis ? describe : describe.skip)('Redis Cluster', () => {
  let cluster: PrivateRedisCluster;
  let fleet: HaFleet;

  beforeAll(async () => {
    cluster = await PrivateRedisCluster.start(3, 1);
    fleet = new HaFleet({ REDIS_CLUSTER_NODES: cluster.seedList });
    await fleet.start(2);
    await fleet.connectStreamClients(5);
    await fleet.connectRedisClients(5, { clusterNodes: cluster.seeds });
  }, 120_000);

  afterAll(async () => {
    await fleet?.stop();
    await cluster?.stop();
  });

  it('publishes, survives losing the master of the environment slot mid-burst, and every client converges', async () => {
    // The snapshot and version keys of one environment are in one slot; the script ran on the cluster.
    const reader = new Cluster(cluster.seeds, { redisOptions: { maxRetriesPerRequest: 1 } });
    try {
      const snapshotKey = storeKeys.snapshot(fleet.prefix, 'staging');
      expect(Number(await reader.cluster('KEYSLOT', snapshotKey))).toBe(Number(await reader.cluster('KEYSLOT', storeKeys.version(fleet.prefix, 'staging'))));
      expect(JSON.parse((await reader.get(snapshotKey))!).flags.seed).toBeDefined();
      for (const client of fleet.clients) expect(client.flagKeys()).toContain('seed');

      const victim = cluster.masterFor(snapshotKey);
      const started = Date.now();
      await fleet.burst(40, () => victim.kill());
      await cluster.healthy();
      // PostgreSQL is the record: every write was acknowledged, whatever Redis was doing.
      expect(fleet.refused).toEqual([]);
      expect(fleet.acknowledged).toHaveLength(40);
      await fleet.converged(30_000);
      process.stdout.write(
        `redis cluster: 40/40 writes acknowledged, master killed mid-burst, ${fleet.clients.length} clients converged in ${Date.now() - started} ms\n`,
      );
      // The promoted replica holds the latest snapshot: the projection is whole again.
      const stored = JSON.parse((await reader.get(snapshotKey))!) as { flags: Record<string, unknown> };
      for (const key of fleet.acknowledged) expect(stored.flags[key]).toBeDefined();
    } finally {
      reader.disconnect();
    }
  }, 120_000);
});
