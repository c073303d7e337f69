import { MemoryFeatureStore } from './memory-feature-store';
import { FlakyFeatureStore, featureStoreContract } from './testing';

// The FeatureStore contract (libs/store/src/testing/feature-store-contract.ts) for the in-process
// store; redis-feature-store.spec.ts runs the same tests against a real Redis.
describe('MemoryFeatureStore', () => {
  featureStoreContract(async () => ({ store: new MemoryFeatureStore(), close: async () => undefined }));
});

// The fake the service specs use must keep the same promises while it is up.
describe('FlakyFeatureStore (test double)', () => {
  featureStoreContract(async () => ({ store: new FlakyFeatureStore(), close: async () => undefined }));

  it('rejects while down, forgets everything when lost, and announces the reconnect', async () => {
    const store = new FlakyFeatureStore();
    const reconnects: string[] = [];
    store.onReconnect(() => reconnects.push('back'));
    await store.publish('production', 4, '{"version":4}', { environment: 'production', version: 4 });
    store.down = new Error('ECONNREFUSED');
    await expect(store.readVersion('production')).rejects.toThrow('ECONNREFUSED');
    await expect(store.publish('production', 5, '{}', { environment: 'production', version: 5 })).rejects.toThrow('ECONNREFUSED');
    expect(store.healthy()).toBe(false);
    store.lose();
    store.reconnect();
    expect(reconnects).toEqual(['back']);
    await expect(store.readVersion('production')).resolves.toBeUndefined();
    await expect(store.publish('production', 1, '{"version":1}', { environment: 'production', version: 1 })).resolves.toBe(true);
  });
});
