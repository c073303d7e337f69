import type { EnvironmentChange } from './snapshot-publisher.service';
import { HeardMessages, inMemoryStoreWorld, LOG_LEVEL } from './testing';

// What happens after a commit: the touched environments are rebuilt from the record, installed on
// this replica and published to the store; failures are counted and left to the reconciler (the
// write itself already succeeded, so publish never rejects).
function setUp() {
  const world = inMemoryStoreWorld();
  world.records.addEnvironment('staging');
  world.records.addEnvironment('production');
  world.records.putFlag('production', 'legacy');
  return world;
}

const ada = 'user:ada@example.com';

describe('SnapshotPublisher', () => {
  it('publishes the committed version to the store, installs it here and announces what changed', async () => {
    const world = setUp();
    const heard = new HeardMessages(world.store);
    world.records.putFlag('production', 'checkout', { config: { enabled: true } });
    world.records.archiveFlag('legacy');
    const change: EnvironmentChange = { environment: 'production', version: 3, flagKeys: ['checkout', 'legacy'], segmentKeys: ['gone'], actor: ada };

    await world.publisher.publish([change]);

    const stored = JSON.parse((await world.store.read('production'))!);
    expect(stored).toMatchObject({ environment: 'production', version: 3 });
    expect(Object.keys(stored.flags)).toEqual(['checkout']);
    await expect(world.store.readVersion('production')).resolves.toBe(3);
    // Installed before the store echoes it: this replica serves the write at once.
    expect(world.snapshots.get('production')).toMatchObject({ version: 3, json: JSON.stringify(stored) });
    const expected = {
      environment: 'production',
      version: 3,
      previousVersion: 2,
      flags: { checkout: stored.flags.checkout, legacy: null },
      segments: { gone: null },
      actor: ada,
    };
    await expect(heard.next((m) => m.environment === 'production')).resolves.toEqual(expected);
    await expect(world.metrics.value('switchyard_store_publish_seconds_count', { store: 'memory', outcome: 'ok' })).resolves.toBe(1);
  });

  it('publishes every environment of the transaction', async () => {
    const world = setUp();
    world.records.putFlag('staging', 'checkout');
    world.records.putFlag('production', 'checkout');
    await world.publisher.publish([
      { environment: 'staging', version: 1, flagKeys: ['checkout'], segmentKeys: [] },
      { environment: 'production', version: 2, flagKeys: ['checkout'], segmentKeys: [] },
    ]);
    await expect(world.store.readVersion('staging')).resolves.toBe(1);
    await expect(world.store.readVersion('production')).resolves.toBe(2);
  });

  it('announces only "refetch" when another commit landed before the read-back', async () => {
    const world = setUp();
    const heard = new HeardMessages(world.store);
    world.records.putFlag('production', 'checkout');
    world.records.putFlag('production', 'banner');
    // The change is version 2, but the record already holds 3: a delta for 2 would hide banner.
    await world.publisher.publish([{ environment: 'production', version: 2, flagKeys: ['checkout'], segmentKeys: [], actor: ada }]);
    await expect(heard.next(() => true)).resolves.toEqual({ environment: 'production', version: 3, full: true });
    await expect(world.store.readVersion('production')).resolves.toBe(3);
  });

  it('does nothing for an environment that no longer exists', async () => {
    const world = setUp();
    await world.publisher.publish([{ environment: 'deleted', version: 4, flagKeys: [], segmentKeys: [] }]);
    expect(world.store.published).toEqual([]);
    expect(world.snapshots.get('deleted')).toBeUndefined();
  });

  it('leaves the store at the newest version when two replicas publish overlapping commits', async () => {
    const world = setUp();
    const other = inMemoryStoreWorld({ records: world.records, store: world.store });
    world.records.putFlag('production', 'checkout');
    let otherPublished: Promise<void> | undefined;
    // While this replica reads version 2 back, version 3 commits on the other replica, which publishes it.
    world.records.afterRead('environmentVersion', () => {
      world.records.putFlag('production', 'banner');
      otherPublished = other.publisher.publish([{ environment: 'production', version: 3, flagKeys: ['banner'], segmentKeys: [] }]);
    });
    await world.publisher.publish([{ environment: 'production', version: 2, flagKeys: ['checkout'], segmentKeys: [] }]);
    await otherPublished;
    await expect(world.store.readVersion('production')).resolves.toBe(3);
    expect(Object.keys(JSON.parse((await world.store.read('production'))!).flags).sort()).toEqual(['banner', 'checkout', 'legacy']);
    expect(world.store.published.find((p) => p.version === 3)!.accepted).toBe(true);
  });

  describe('when the record cannot be read back', () => {
    it('resolves (the write succeeded), counts the failure and leaves the version for the reconciler', async () => {
      const world = setUp();
      world.records.putFlag('production', 'checkout');
      world.records.unavailable = new Error('Connection terminated unexpectedly');

      await expect(world.publisher.publish([{ environment: 'production', version: 2, flagKeys: ['checkout'], segmentKeys: [] }])).resolves.toBeUndefined();

      expect(world.store.published).toEqual([]);
      expect(world.snapshots.get('production')).toBeUndefined();
      await expect(world.metrics.value('switchyard_store_publish_failures_total', { store: 'memory' })).resolves.toBe(1);
      expect(world.logs).toContainEqual(
        expect.objectContaining({
          level: LOG_LEVEL.warn,
          msg: 'cannot read the committed change back; the reconciler will publish it',
          environment: 'production',
          version: 2,
        }),
      );

      // Once the record answers, one reconcile pass publishes and installs what was missed.
      world.records.unavailable = undefined;
      await expect(world.reconciler.reconcile()).resolves.toBe(2);
      await expect(world.store.readVersion('production')).resolves.toBe(2);
      expect(world.snapshots.get('production')!.version).toBe(2);
    });
  });

  describe('when the store is down', () => {
    it('still serves the write on this replica, counts the failure, and the reconciler publishes it once the store is back', async () => {
      const world = setUp();
      world.records.putFlag('production', 'checkout', { config: { enabled: true } });
      world.store.down = new Error('ECONNREFUSED');

      await expect(world.publisher.publish([{ environment: 'production', version: 2, flagKeys: ['checkout'], segmentKeys: [] }])).resolves.toBeUndefined();

      expect(world.snapshots.get('production')).toMatchObject({ version: 2, snapshot: { flags: { checkout: { enabled: true } } } });
      await expect(world.metrics.value('switchyard_store_publish_failures_total', { store: 'memory' })).resolves.toBe(1);
      await expect(world.metrics.value('switchyard_store_publish_seconds_count', { store: 'memory', outcome: 'failed' })).resolves.toBe(1);
      expect(world.logs).toContainEqual(
        expect.objectContaining({ level: LOG_LEVEL.warn, msg: 'store publish failed; the reconciler will repair it', version: 2 }),
      );

      const heard = new HeardMessages(world.store);
      const passes = world.records.calls.environments;
      world.store.reconnect();
      expect(world.records.calls.environments).toBe(passes + 1); // the reconnect started a reconcile pass
      await expect(heard.next((m) => m.environment === 'production')).resolves.toEqual({ environment: 'production', version: 2, full: true });
      await expect(world.store.readVersion('production')).resolves.toBe(2);
    });
  });
});
