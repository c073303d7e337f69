import { gunzipSync } from 'node:zlib';
import type { Snapshot, SnapshotFlag } from '@switchyard/core';
import type { EnvironmentSnapshots, SnapshotEvent } from './environment-snapshots.service';
import type { ChangeMessage } from './feature-store';
import { inMemoryStoreWorld, LOG_LEVEL } from './testing';

// One replica's in-memory copy: where it loads from (store, else the record), how it follows the
// change channel (apply a contiguous delta, reload on a gap), and what it tells its listeners.
const flag = (key: string, enabled: boolean, version = 1): SnapshotFlag => ({
  key,
  type: 'boolean',
  variants: { on: true, off: false },
  enabled,
  offVariant: 'off',
  rules: [],
  defaultServe: { variant: 'on' },
  version,
});

const snapshotOf = (version: number, flags: SnapshotFlag[] = [], environment = 'production'): Snapshot => ({
  environment,
  version,
  flags: Object.fromEntries(flags.map((f) => [f.key, f])),
  segments: {},
});

/** Every event from now on, and a way to await the next one that matches. */
function recordEvents(snapshots: EnvironmentSnapshots) {
  const events: SnapshotEvent[] = [];
  let waiters: Array<{ matches: (event: SnapshotEvent) => boolean; resolve: (event: SnapshotEvent) => void }> = [];
  snapshots.onEvent((event) => {
    events.push(event);
    const ready = waiters.filter((waiter) => waiter.matches(event));
    waiters = waiters.filter((waiter) => !ready.includes(waiter));
    for (const waiter of ready) waiter.resolve(event);
  });
  const next = (matches: (event: SnapshotEvent) => boolean = () => true) =>
    new Promise<SnapshotEvent>((resolve) => {
      const seen = events.find(matches);
      if (seen) resolve(seen);
      else waiters.push({ matches, resolve });
    });
  return { events, next };
}

function setUp() {
  const world = inMemoryStoreWorld();
  world.records.addEnvironment('production');
  return world;
}

/** Puts `snapshot` in the store (as the publisher of some replica would) announcing `message`. */
async function storeHas(world: ReturnType<typeof setUp>, snapshot: Snapshot, message: Partial<ChangeMessage> = { full: true }): Promise<string> {
  const json = JSON.stringify(snapshot);
  await world.store.publish(snapshot.environment, snapshot.version, json, { environment: snapshot.environment, version: snapshot.version, ...message });
  return json;
}

describe('EnvironmentSnapshots', () => {
  describe('loading', () => {
    it('serves the store’s snapshot text as is, without asking the record', async () => {
      const world = setUp();
      const json = await storeHas(world, snapshotOf(3, [flag('checkout', true)]));
      const state = await world.snapshots.ensure('production');
      expect(state).toMatchObject({ environment: 'production', version: 3, json, etag: '"production:3"' });
      expect(state!.snapshot.flags.checkout.enabled).toBe(true);
      expect(world.records.calls.environmentVersion).toBe(0);
      expect(world.snapshots.get('production')).toBe(state);
      await expect(world.metrics.value('switchyard_snapshot_version', { environment: 'production' })).resolves.toBe(3);
    });

    it('builds from the record when the store has nothing (a fresh or flushed Redis)', async () => {
      const world = setUp();
      world.records.putFlag('production', 'checkout', { config: { enabled: true } });
      const state = await world.snapshots.ensure('production');
      expect(state).toMatchObject({ version: 1, etag: '"production:1"' });
      expect(JSON.parse(state!.json)).toEqual(state!.snapshot);
      expect(state!.snapshot.flags.checkout).toMatchObject({ enabled: true, version: 1 });
    });

    it('builds from the record when the store is down', async () => {
      const world = setUp();
      world.records.putFlag('production', 'checkout');
      world.store.down = new Error('ECONNREFUSED');
      await expect(world.snapshots.ensure('production')).resolves.toMatchObject({ version: 1 });
      expect(world.logs).toContainEqual(
        expect.objectContaining({ level: LOG_LEVEL.debug, msg: 'store unavailable; reading the record', environment: 'production' }),
      );
    });

    it('builds from the record when the store is behind the version asked for, but keeps a store that is not', async () => {
      const world = setUp();
      await storeHas(world, snapshotOf(1, [flag('checkout', false)]));
      world.records.putFlag('production', 'checkout');
      world.records.putFlag('production', 'checkout', { config: { enabled: true } });
      await expect(world.snapshots.refresh('production', 2)).resolves.toMatchObject({ version: 2, snapshot: { flags: { checkout: { enabled: true } } } });

      const other = setUp();
      other.records.putFlag('production', 'checkout');
      await storeHas(other, snapshotOf(5));
      await expect(other.snapshots.refresh('production', 2)).resolves.toMatchObject({ version: 5 });
    });

    it('is undefined for an environment that exists nowhere, and caches nothing for it', async () => {
      const world = setUp();
      await expect(world.snapshots.ensure('canary')).resolves.toBeUndefined();
      expect(world.snapshots.get('canary')).toBeUndefined();
    });

    it('shares one load between concurrent callers', async () => {
      const world = setUp();
      world.records.putFlag('production', 'checkout');
      const [a, b, c] = await Promise.all([world.snapshots.ensure('production'), world.snapshots.refresh('production'), world.snapshots.ensure('production')]);
      expect(a).toBe(b);
      expect(b).toBe(c);
      expect(world.records.calls.environmentVersion).toBe(1);
    });

    it('loads again for a caller that needs a newer version than the load already under way', async () => {
      const world = setUp();
      world.records.putFlag('production', 'checkout');
      let second: Promise<unknown> | undefined;
      // Version 2 commits just after a load read version 1, and its change asks this replica for 2 while that load is still under way.
      world.records.afterRead('environmentVersion', () => {
        world.records.putFlag('production', 'checkout', { config: { enabled: true } });
        second = world.snapshots.refresh('production', 2);
      });
      await expect(world.snapshots.refresh('production')).resolves.toMatchObject({ version: 1 });
      await expect(second).resolves.toMatchObject({ version: 2, snapshot: { flags: { checkout: { enabled: true } } } });
      expect(world.snapshots.get('production')!.version).toBe(2);
    });

    it('never goes back to an older version on a later load', async () => {
      const world = setUp();
      world.snapshots.installBuilt(snapshotOf(7), JSON.stringify(snapshotOf(7)), { environment: 'production', version: 7, full: true });
      await storeHas(world, snapshotOf(4));
      await expect(world.snapshots.refresh('production')).resolves.toMatchObject({ version: 7 });
    });
  });

  describe('following the change channel', () => {
    it('applies a contiguous change as a delta and tells listeners what changed', async () => {
      const world = setUp();
      await storeHas(world, { ...snapshotOf(1, [flag('checkout', false), flag('legacy', true)]), segments: { beta: { key: 'beta', conditions: [] } } });
      await world.snapshots.ensure('production');
      const { next } = recordEvents(world.snapshots);
      const message: ChangeMessage = {
        environment: 'production',
        version: 2,
        previousVersion: 1,
        flags: { checkout: flag('checkout', true, 2), legacy: null, fresh: flag('fresh', true) },
        segments: { beta: null, vip: { key: 'vip', conditions: [] } },
        actor: 'user:ada@example.com',
      };
      await storeHas(world, snapshotOf(2), message);

      const event = await next();
      expect(event).toMatchObject({ kind: 'change', message, data: JSON.stringify(message) });
      const state = world.snapshots.get('production')!;
      expect(event.state).toBe(state);
      expect(state.version).toBe(2);
      expect(Object.keys(state.snapshot.flags).sort()).toEqual(['checkout', 'fresh']);
      expect(state.snapshot.flags.checkout.enabled).toBe(true);
      expect(Object.keys(state.snapshot.segments)).toEqual(['vip']);
      expect(JSON.parse(state.json)).toEqual(state.snapshot);
      await expect(world.metrics.value('switchyard_snapshot_version', { environment: 'production' })).resolves.toBe(2);
    });

    it('reloads the whole snapshot on a gap in versions', async () => {
      const world = setUp();
      await storeHas(world, snapshotOf(1, [flag('checkout', false)]));
      await world.snapshots.ensure('production');
      const { next } = recordEvents(world.snapshots);
      // Version 2 was missed: the delta for 3 cannot be applied to 1.
      const json = await storeHas(world, snapshotOf(3, [flag('checkout', true, 3)]), { previousVersion: 2, flags: {} });
      const event = await next();
      expect(event.kind).toBe('snapshot');
      expect(event.state).toMatchObject({ version: 3, json });
    });

    it('reloads on a message that says full, and on the first message for an environment it does not hold', async () => {
      const world = setUp();
      const { next } = recordEvents(world.snapshots);
      const json = await storeHas(world, snapshotOf(4, [flag('checkout', true)]), { full: true });
      await expect(next()).resolves.toMatchObject({ kind: 'snapshot', state: { version: 4, json } });
      const again = await storeHas(world, snapshotOf(5), { previousVersion: 4, full: true });
      await expect(next((e) => e.state.version === 5)).resolves.toMatchObject({ kind: 'snapshot', state: { json: again } });
    });

    it('ignores a change it already has', async () => {
      const world = setUp();
      world.snapshots.installBuilt(snapshotOf(5), JSON.stringify(snapshotOf(5)), { environment: 'production', version: 5, full: true });
      const { events, next } = recordEvents(world.snapshots);
      // The store (empty) accepts 4, so 4 is announced; this replica already serves 5.
      await storeHas(world, snapshotOf(4), { previousVersion: 3 });
      await storeHas(world, snapshotOf(6, [flag('checkout', true)]), { previousVersion: 5, flags: { checkout: flag('checkout', true) } });
      await next((e) => e.state.version === 6);
      expect(events.map((e) => [e.kind, e.state.version])).toEqual([['change', 6]]);
    });
  });

  describe('installBuilt (the writer’s own snapshot)', () => {
    it('installs a newer snapshot: as a change when it follows the current one, else as a whole snapshot', () => {
      const world = setUp();
      const { events } = recordEvents(world.snapshots);
      world.snapshots.installBuilt(snapshotOf(1), '{"v":1}', { environment: 'production', version: 1, previousVersion: 0 });
      const change: ChangeMessage = { environment: 'production', version: 2, previousVersion: 1, flags: { checkout: flag('checkout', true) } };
      world.snapshots.installBuilt(snapshotOf(2, [flag('checkout', true)]), '{"v":2}', change);
      world.snapshots.installBuilt(snapshotOf(4), '{"v":4}', { environment: 'production', version: 4, previousVersion: 3 });
      world.snapshots.installBuilt(snapshotOf(5), '{"v":5}', { environment: 'production', version: 5, previousVersion: 4, full: true });
      expect(events.map((e) => [e.kind, e.state.version, e.state.json])).toEqual([
        ['snapshot', 1, '{"v":1}'],
        ['change', 2, '{"v":2}'],
        ['snapshot', 4, '{"v":4}'],
        ['snapshot', 5, '{"v":5}'],
      ]);
      expect(events[1]).toMatchObject({ message: change, data: JSON.stringify(change) });
    });

    it('ignores a snapshot no newer than the one served', () => {
      const world = setUp();
      world.snapshots.installBuilt(snapshotOf(3), '{"v":3}', { environment: 'production', version: 3 });
      const { events } = recordEvents(world.snapshots);
      world.snapshots.installBuilt(snapshotOf(3), '{"again":3}', { environment: 'production', version: 3 });
      world.snapshots.installBuilt(snapshotOf(2), '{"v":2}', { environment: 'production', version: 2 });
      expect(events).toEqual([]);
      expect(world.snapshots.get('production')!.json).toBe('{"v":3}');
    });
  });

  describe('listeners', () => {
    it('keeps notifying the others when one throws, and stops notifying one that unsubscribed', () => {
      const world = setUp();
      const heard: string[] = [];
      world.snapshots.onEvent(() => {
        throw new Error('listener bug');
      });
      const stop = world.snapshots.onEvent((event) => heard.push(`a${event.state.version}`));
      world.snapshots.onEvent((event) => heard.push(`b${event.state.version}`));
      world.snapshots.installBuilt(snapshotOf(1), '{}', { environment: 'production', version: 1 });
      stop();
      world.snapshots.installBuilt(snapshotOf(2), '{}', { environment: 'production', version: 2 });
      expect(heard).toEqual(['a1', 'b1', 'b2']);
      expect(world.logs.filter((line) => line.msg === 'snapshot listener failed')).toHaveLength(2);
    });
  });

  it('gives each state a compiled form, an ETag and a gzip of its JSON made once', async () => {
    const world = setUp();
    const json = await storeHas(world, snapshotOf(9, [flag('checkout', true)]));
    const state = (await world.snapshots.ensure('production'))!;
    expect(gunzipSync(state.gzip).toString()).toBe(json);
    expect(state.gzip).toBe(state.gzip);
    expect(state.compiled).toBeDefined();
    expect(state.etag).toBe('"production:9"');
  });
});
