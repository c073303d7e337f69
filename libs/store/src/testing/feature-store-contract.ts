/// <reference types="jest" />
// The reference keeps this file compiling under tsconfig.build.json (types: node only), which builds
// libs/*/src except *.spec.ts; only specs import it. (Not named *.contract.ts: that suffix is kept
// for the wire types the admin UI shares, and ESLint limits what those import.)
import type { ChangeMessage, FeatureStore } from '../feature-store';

/** A store for one test, empty, and how to let go of it afterwards. */
export interface StoreUnderTest {
  store: FeatureStore;
  close(): Promise<void>;
}

/** Everything a subscriber heard, and a way to await a message that has not arrived yet. */
export class HeardMessages {
  readonly messages: ChangeMessage[] = [];
  private waiters: Array<{ matches: (message: ChangeMessage) => boolean; resolve: (message: ChangeMessage) => void }> = [];

  constructor(store: FeatureStore) {
    store.subscribe((message) => {
      this.messages.push(message);
      const waiting = this.waiters.filter((waiter) => waiter.matches(message));
      this.waiters = this.waiters.filter((waiter) => !waiting.includes(waiter));
      for (const waiter of waiting) waiter.resolve(message);
    });
  }

  /** The first message (already heard or still to come) that `matches`. */
  next(matches: (message: ChangeMessage) => boolean): Promise<ChangeMessage> {
    const heard = this.messages.find(matches);
    if (heard) return Promise.resolve(heard);
    return new Promise((resolve) => this.waiters.push({ matches, resolve }));
  }
}

const snapshotJson = (environment: string, version: number, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ environment, version, flags: {}, segments: {}, ...extra });

const change = (environment: string, version: number, extra: Partial<ChangeMessage> = {}): ChangeMessage => ({
  environment,
  version,
  previousVersion: version - 1,
  ...extra,
});

/**
 * What FeatureStore promises its callers (EnvironmentSnapshots, SnapshotPublisher, Reconciler), for
 * any implementation: call inside a `describe`, with a factory giving an empty store per test. The
 * reconciler relies on `readVersion` being undefined for a store that has nothing; the publisher on
 * compare-and-set (a late publisher never rolls an environment back); every replica on hearing
 * each accepted change, and none that was refused.
 */
export function featureStoreContract(open: () => Promise<StoreUnderTest>): void {
  let subject: StoreUnderTest;
  let store: FeatureStore;

  beforeEach(async () => {
    subject = await open();
    store = subject.store;
  });
  afterEach(async () => {
    await subject.close();
  });

  it('has nothing for an environment it was never given', async () => {
    await expect(store.read('production')).resolves.toBeUndefined();
    await expect(store.readVersion('production')).resolves.toBeUndefined();
  });

  it('is healthy once open', () => {
    expect(store.healthy()).toBe(true);
  });

  it('accepts version 0 on an empty environment (environments start at 0) and returns the JSON byte for byte', async () => {
    // Unicode and spacing are kept: replicas serve this text as is and derive ETags from it.
    const json = '{ "environment": "production", "version": 0, "flags": {}, "segments": {}, "note": "é ✓" }';
    await expect(store.publish('production', 0, json, change('production', 0))).resolves.toBe(true);
    await expect(store.read('production')).resolves.toBe(json);
    await expect(store.readVersion('production')).resolves.toBe(0);
  });

  it('replaces the snapshot with a newer version', async () => {
    await store.publish('production', 1, snapshotJson('production', 1), change('production', 1));
    await expect(store.publish('production', 2, snapshotJson('production', 2), change('production', 2))).resolves.toBe(true);
    await expect(store.read('production')).resolves.toBe(snapshotJson('production', 2));
    await expect(store.readVersion('production')).resolves.toBe(2);
  });

  it('refuses an older or equal version and keeps what it has (no rollback by a late publisher)', async () => {
    await store.publish('production', 5, snapshotJson('production', 5), change('production', 5));
    await expect(store.publish('production', 4, snapshotJson('production', 4, { late: true }), change('production', 4))).resolves.toBe(false);
    await expect(store.publish('production', 5, snapshotJson('production', 5, { duplicate: true }), change('production', 5))).resolves.toBe(false);
    await expect(store.read('production')).resolves.toBe(snapshotJson('production', 5));
    await expect(store.readVersion('production')).resolves.toBe(5);
  });

  it('keeps the newest of concurrent publishes whatever order they were issued in', async () => {
    const results = await Promise.all(
      [3, 7, 5].map((version) => store.publish('production', version, snapshotJson('production', version), change('production', version))),
    );
    expect(results).toEqual([true, true, false]);
    await expect(store.readVersion('production')).resolves.toBe(7);
    await expect(store.read('production')).resolves.toBe(snapshotJson('production', 7));
  });

  it('keeps environments apart', async () => {
    await store.publish('production', 9, snapshotJson('production', 9), change('production', 9));
    await expect(store.publish('staging', 1, snapshotJson('staging', 1), change('staging', 1))).resolves.toBe(true);
    await expect(store.readVersion('staging')).resolves.toBe(1);
    await expect(store.readVersion('production')).resolves.toBe(9);
    await expect(store.read('staging')).resolves.toBe(snapshotJson('staging', 1));
    await expect(store.read('canary')).resolves.toBeUndefined();
  });

  it('announces an accepted change to every subscriber, as published', async () => {
    const first = new HeardMessages(store);
    const second = new HeardMessages(store);
    const message: ChangeMessage = {
      environment: 'production',
      version: 2,
      previousVersion: 1,
      flags: {
        checkout: {
          key: 'checkout',
          type: 'boolean',
          variants: { on: true, off: false },
          enabled: true,
          offVariant: 'off',
          rules: [],
          defaultServe: { variant: 'on' },
          version: 3,
        },
        legacy: null,
      },
      segments: { beta: null },
      actor: 'user:ada@example.com',
    };
    await store.publish('production', 2, snapshotJson('production', 2), message);
    await expect(first.next((m) => m.environment === 'production')).resolves.toEqual(message);
    await expect(second.next((m) => m.environment === 'production')).resolves.toEqual(message);
  });

  it('announces nothing for a refused publish', async () => {
    const heard = new HeardMessages(store);
    await store.publish('production', 3, snapshotJson('production', 3), change('production', 3));
    await store.publish('production', 2, snapshotJson('production', 2), change('production', 2, { actor: 'late' }));
    // Changes arrive in publish order, so once the later, accepted one is heard the refused one would have been too.
    await store.publish('production', 4, snapshotJson('production', 4), change('production', 4));
    await heard.next((m) => m.version === 4);
    expect(heard.messages.map((m) => m.version)).toEqual([3, 4]);
  });

  it('delivers changes in publish order and never inside publish itself', async () => {
    const heard = new HeardMessages(store);
    const publishing = store.publish('production', 1, snapshotJson('production', 1), change('production', 1, { full: true }));
    // A listener running inside publish could re-enter the publisher (EnvironmentSnapshots reloads on a change).
    expect(heard.messages).toEqual([]);
    await publishing;
    for (const version of [2, 3, 4]) await store.publish('production', version, snapshotJson('production', version), change('production', version));
    await heard.next((m) => m.version === 4);
    expect(heard.messages.map((m) => [m.version, m.full ?? false])).toEqual([
      [1, true],
      [2, false],
      [3, false],
      [4, false],
    ]);
  });
}
