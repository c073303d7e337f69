import type { Database } from '@switchyard/persistence';
import { SnapshotBuilder } from './snapshot-builder';
import type { SnapshotRepository } from './snapshot.repository';
import { InMemorySnapshotRepository, inMemorySnapshotDatabase } from './testing';

// How the builder turns the record into a snapshot; the SQL itself is covered by the e2e suites.
function setUp() {
  const records = new InMemorySnapshotRepository();
  const builder = new SnapshotBuilder(inMemorySnapshotDatabase(records) as Database, records as unknown as SnapshotRepository);
  return { records, builder };
}

describe('SnapshotBuilder', () => {
  it('lists environments in the record order with numeric versions', async () => {
    const { records, builder } = setUp();
    records.addEnvironment('staging', 4);
    records.addEnvironment('production', 12);
    await expect(builder.environments()).resolves.toEqual([
      { key: 'staging', version: 4 },
      { key: 'production', version: 12 },
    ]);
  });

  it('returns undefined for an environment the record does not have', async () => {
    const { records, builder } = setUp();
    records.addEnvironment('staging');
    await expect(builder.build('production')).resolves.toBeUndefined();
  });

  it("builds the environment's flags (their config in that environment) and every segment at the environment's version", async () => {
    const { records, builder } = setUp();
    records.addEnvironment('staging');
    records.addEnvironment('production');
    records.putSegment('beta', [{ attribute: 'plan', operator: 'in', values: ['beta'] }]);
    const rule = { id: 'r1', conditions: [{ attribute: 'country', operator: 'in' as const, values: ['FR'] }], serve: { variant: 'on' } };
    records.putFlag('production', 'checkout', { config: { enabled: true, rules: [rule] } });
    records.putFlag('production', 'checkout', { config: { defaultServe: { variant: 'off' } } });
    records.putFlag('production', 'banner', { type: 'string', variants: { a: 'A', b: 'B' }, config: { offVariant: 'a', defaultServe: { variant: 'b' } } });
    records.putFlag('staging', 'staging-only');

    const snapshot = await builder.build('production');

    expect(snapshot).toEqual({
      environment: 'production',
      version: records.version('production'),
      flags: {
        banner: {
          key: 'banner',
          type: 'string',
          variants: { a: 'A', b: 'B' },
          enabled: false,
          offVariant: 'a',
          rules: [],
          defaultServe: { variant: 'b' },
          version: 1,
        },
        checkout: {
          key: 'checkout',
          type: 'boolean',
          variants: { on: true, off: false },
          enabled: true,
          offVariant: 'off',
          rules: [rule],
          defaultServe: { variant: 'off' },
          version: 2,
        },
      },
      segments: { beta: { key: 'beta', conditions: [{ attribute: 'plan', operator: 'in', values: ['beta'] }] } },
    });
    expect(records.version('production')).toBe(4);
  });

  it('leaves archived flags out', async () => {
    const { records, builder } = setUp();
    records.addEnvironment('production');
    records.putFlag('production', 'old');
    records.putFlag('production', 'current');
    records.archiveFlag('old');
    const snapshot = await builder.build('production');
    expect(Object.keys(snapshot!.flags)).toEqual(['current']);
    expect(snapshot!.version).toBe(3);
  });

  it('includes prerequisites only when there are some, and passes a malformed value on for the engine to report', async () => {
    const { records, builder } = setUp();
    records.addEnvironment('production');
    records.putFlag('production', 'none', { config: { prerequisites: [] } });
    records.putFlag('production', 'absent');
    records.putFlag('production', 'gated', { config: { prerequisites: [{ flag: 'none', variants: ['on'] }] } });
    records.putFlag('production', 'broken', { config: { prerequisites: 'nonsense' as never } });
    const { flags } = (await builder.build('production'))!;
    expect(flags.none).not.toHaveProperty('prerequisites');
    expect(flags.absent).not.toHaveProperty('prerequisites');
    expect(flags.gated.prerequisites).toEqual([{ flag: 'none', variants: ['on'] }]);
    expect(flags.broken.prerequisites).toBe('nonsense');
  });

  it('reads version and content in one repeatable-read transaction, so a commit landing mid-build cannot tear the snapshot', async () => {
    const { records, builder } = setUp();
    records.addEnvironment('production');
    records.putFlag('production', 'checkout');
    // A write commits right after the builder read the version: the content it reads next must be the old one.
    records.afterRead('environmentVersion', () => records.putFlag('production', 'checkout', { config: { enabled: true } }));
    const snapshot = (await builder.build('production'))!;
    expect(snapshot.version).toBe(1);
    expect(snapshot.flags.checkout).toMatchObject({ enabled: false, version: 1 });
    expect(records.version('production')).toBe(2);
    await expect(builder.build('production')).resolves.toMatchObject({ version: 2, flags: { checkout: { enabled: true, version: 2 } } });
  });

  it('rejects when the record does not answer', async () => {
    const { records, builder } = setUp();
    records.addEnvironment('production');
    records.unavailable = new Error('connection terminated');
    await expect(builder.build('production')).rejects.toThrow('connection terminated');
    await expect(builder.environments()).rejects.toThrow('connection terminated');
  });
});
