import { HeardMessages, inMemoryStoreWorld, LOG_LEVEL } from './testing';

// The loop that keeps the store (a projection) and this replica's copy level with the record:
// at start, on every interval and when the store comes back.
const INTERVAL = 10_000;

function setUp() {
  const world = inMemoryStoreWorld({ reconcileIntervalMs: INTERVAL });
  world.records.addEnvironment('staging');
  world.records.addEnvironment('production');
  world.records.putFlag('staging', 'checkout');
  world.records.putFlag('production', 'checkout', { config: { enabled: true } });
  world.records.putFlag('production', 'banner');
  return world;
}

describe('Reconciler', () => {
  afterEach(() => {
    jest.useRealTimers();
  });

  it('publishes every environment to an empty store and brings this replica up to date', async () => {
    const world = setUp();
    const heard = new HeardMessages(world.store);
    await expect(world.reconciler.reconcile()).resolves.toBe(2);
    await expect(world.store.readVersion('staging')).resolves.toBe(1);
    await expect(world.store.readVersion('production')).resolves.toBe(2);
    expect(JSON.parse((await world.store.read('production'))!)).toEqual(await world.builder.build('production'));
    expect(world.snapshots.get('production')!.version).toBe(2);
    expect(world.snapshots.get('staging')!.version).toBe(1);
    await heard.next((m) => m.environment === 'production');
    expect(heard.messages).toEqual(expect.arrayContaining([{ environment: 'production', version: 2, full: true }]));
    await expect(world.metrics.value('switchyard_reconciler_repairs_total', { environment: 'production' })).resolves.toBe(1);
  });

  it('rebuilds a store that lost its data (a Redis restart) as soon as the store is back', async () => {
    const world = setUp();
    await world.reconciler.reconcile();
    world.store.down = new Error('ECONNREFUSED');
    world.store.lose();
    const heard = new HeardMessages(world.store);

    const passes = world.records.calls.environments;
    world.store.reconnect();
    expect(world.records.calls.environments).toBe(passes + 1); // the reconnect started a pass
    await heard.next((m) => m.environment === 'production'); // its last repair

    await expect(world.store.readVersion('production')).resolves.toBe(2);
    await expect(world.store.readVersion('staging')).resolves.toBe(1);
    expect(heard.messages.map((m) => [m.environment, m.version, m.full])).toEqual([
      ['staging', 1, true],
      ['production', 2, true],
    ]);
    expect(world.logs).toContainEqual(
      expect.objectContaining({ level: LOG_LEVEL.info, msg: 'republished environment', environment: 'production', from: null, to: 2 }),
    );
  });

  it('repairs only environments the store is behind on', async () => {
    const world = setUp();
    await world.reconciler.reconcile();
    const before = world.store.published.length;
    // A commit whose publish never happened (the process died in between).
    world.records.putFlag('staging', 'banner');
    await expect(world.reconciler.reconcile()).resolves.toBe(1);
    expect(world.store.published.slice(before)).toEqual([{ environment: 'staging', version: 2, accepted: true }]);
    expect(world.snapshots.get('staging')!.snapshot.flags).toHaveProperty('banner');
    await expect(world.reconciler.reconcile()).resolves.toBe(0);
  });

  it('runs one pass at a time', async () => {
    const world = setUp();
    // The second caller (say, a reconnect during the start-up pass) gets the running pass's result.
    await expect(Promise.all([world.reconciler.reconcile(), world.reconciler.reconcile()])).resolves.toEqual([2, 2]);
    expect(world.records.calls.environments).toBe(1);
  });

  it('gives up the pass, without throwing, while the record is unreachable', async () => {
    const world = setUp();
    world.records.unavailable = new Error('connection refused');
    await expect(world.reconciler.reconcile()).resolves.toBe(0);
    expect(world.logs).toContainEqual(expect.objectContaining({ level: LOG_LEVEL.warn, msg: 'cannot read environments from the record' }));
    world.records.unavailable = undefined;
    await expect(world.reconciler.reconcile()).resolves.toBe(2);
  });

  it('still brings this replica up to date from the record while the store is down', async () => {
    const world = setUp();
    world.store.down = new Error('ECONNREFUSED');
    await expect(world.reconciler.reconcile()).resolves.toBe(0);
    expect(world.snapshots.get('production')).toMatchObject({ version: 2, snapshot: { flags: { checkout: { enabled: true } } } });
  });

  it('reconciles at start-up, then on every interval until shutdown', async () => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask', 'setImmediate'] });
    const world = setUp();
    await world.reconciler.onApplicationBootstrap();
    await expect(world.store.readVersion('production')).resolves.toBe(2);
    expect(world.records.calls.environments).toBe(1);

    world.store.lose();
    const heard = new HeardMessages(world.store);
    await jest.advanceTimersByTimeAsync(INTERVAL);
    expect(world.records.calls.environments).toBe(2);
    await heard.next((m) => m.environment === 'production');
    await expect(world.store.readVersion('staging')).resolves.toBe(1);

    world.reconciler.onApplicationShutdown();
    await jest.advanceTimersByTimeAsync(INTERVAL * 3);
    expect(world.records.calls.environments).toBe(2);
  });
});
