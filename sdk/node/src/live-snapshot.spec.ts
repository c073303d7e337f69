import type { Segment, Snapshot, SnapshotFlag } from '@switchyard/core';
import { asChange, asSnapshot, LiveSnapshot, sameJson, type SnapshotChange } from './live-snapshot';
import { booleanFlag } from './protocol-server.fixture';

function segmentFlag(key: string, segment: string): SnapshotFlag {
  return {
    ...booleanFlag(key, true),
    rules: [{ id: 'seg', conditions: [{ attribute: '', operator: 'in_segment', values: [segment] }], serve: { variant: 'on' } }],
    defaultServe: { variant: 'off' },
  };
}

function snapshot(flags: SnapshotFlag[], segments: Segment[] = [], version = 1): Snapshot {
  return {
    environment: 'production',
    version,
    flags: Object.fromEntries(flags.map((f) => [f.key, f])),
    segments: Object.fromEntries(segments.map((s) => [s.key, s])),
  };
}

function change(version: number, flags: SnapshotChange['flags'], segments: SnapshotChange['segments'] = {}): SnapshotChange {
  return { environment: 'production', version, previousVersion: version - 1, flags, segments, full: false };
}

const nordics: Segment = { key: 'nordics', conditions: [{ attribute: 'country', operator: 'in', values: ['NO', 'SE'] }] };
const staff: Segment = { key: 'staff', conditions: [{ attribute: 'email', operator: 'ends_with', values: ['@example.com'] }] };
const staffOrNordics: Segment = { key: 'staff-or-nordics', conditions: [{ attribute: '', operator: 'in_segment', values: ['nordics'] }] };

const value = (live: LiveSnapshot, key: string, ctx: Record<string, unknown> = {}) => live.evaluate(key, ctx, 'boolean').value;

describe('LiveSnapshot', () => {
  it('evaluates a compiled snapshot and reports missing flags', () => {
    const live = new LiveSnapshot(snapshot([booleanFlag('a', true), booleanFlag('b', false)]));
    expect(value(live, 'a')).toBe(true);
    expect(value(live, 'b')).toBe(false);
    expect(live.evaluate('nope', {}, 'boolean')).toMatchObject({ reason: 'ERROR', errorCode: 'FLAG_NOT_FOUND' });
    expect(live.evaluate('a', {}, 'string')).toMatchObject({ reason: 'ERROR', errorCode: 'TYPE_MISMATCH' });
  });

  it('treats __proto__ and constructor as ordinary flag keys', () => {
    const flags = JSON.parse(
      '{"__proto__":{"key":"__proto__","type":"boolean","variants":{"on":true,"off":false},"enabled":true,"offVariant":"off","rules":[],"defaultServe":{"variant":"on"},"version":1}}',
    );
    const live = new LiveSnapshot({ environment: 'e', version: 1, flags, segments: {} });
    expect(value(live, '__proto__')).toBe(true);
    expect(live.evaluate('constructor', {}, 'boolean').errorCode).toBe('FLAG_NOT_FOUND');
    live.applyChange(change(2, { constructor: { ...booleanFlag('constructor', true) } }));
    expect(value(live, 'constructor')).toBe(true);
  });

  it('applies deltas in order: new, changed and deleted flags', () => {
    const live = new LiveSnapshot(snapshot([booleanFlag('a', true), booleanFlag('b', true)]));
    expect(live.applyChange(change(2, { a: booleanFlag('a', false, 2), c: booleanFlag('c', true) }))).toEqual(['a', 'c']);
    expect(value(live, 'a')).toBe(false);
    expect(value(live, 'c')).toBe(true);
    expect(live.applyChange(change(3, { b: null }))).toEqual(['b']);
    expect(live.evaluate('b', {}, 'boolean').errorCode).toBe('FLAG_NOT_FOUND');
    expect(live.applyChange(change(4, { b: booleanFlag('b', false) }))).toEqual(['b']);
    expect(value(live, 'b')).toBe(false);
    expect(live.version).toBe(4);
    expect(live.keys().sort()).toEqual(['a', 'b', 'c']);
    expect(live.toSnapshot().flags.a.enabled).toBe(false);
  });

  it('ignores a delta it already has and reports a gap for one that skips versions', () => {
    const live = new LiveSnapshot(snapshot([booleanFlag('a', true)], [], 5));
    expect(live.applyChange(change(5, { a: booleanFlag('a', false) }))).toEqual([]);
    expect(live.applyChange({ ...change(7, { a: booleanFlag('a', false) }), previousVersion: 6 })).toBeUndefined();
    expect(value(live, 'a')).toBe(true);
    expect(live.version).toBe(5);
  });

  it('names the flags that a segment change affects, directly and through nested segments', () => {
    const live = new LiveSnapshot(
      snapshot(
        [segmentFlag('by-nordics', 'nordics'), segmentFlag('by-nested', 'staff-or-nordics'), segmentFlag('by-staff', 'staff'), booleanFlag('plain', true)],
        [nordics, staff, staffOrNordics],
      ),
    );
    expect(value(live, 'by-nested', { country: 'DK' })).toBe(false);
    const keys = live.applyChange(
      change(2, {}, { nordics: { ...nordics, conditions: [{ attribute: 'country', operator: 'in', values: ['NO', 'SE', 'DK'] }] } }),
    );
    expect(keys?.sort()).toEqual(['by-nested', 'by-nordics']);
    expect(value(live, 'by-nested', { country: 'DK' })).toBe(true);
    expect(value(live, 'by-nordics', { country: 'DK' })).toBe(true);
  });

  it('diffs a full snapshot against the current one', () => {
    const live = new LiveSnapshot(
      snapshot([booleanFlag('same', true), booleanFlag('changed', true), booleanFlag('gone', true), segmentFlag('seg', 'nordics')], [nordics]),
    );
    const next = snapshot(
      [
        JSON.parse(JSON.stringify(booleanFlag('same', true))) as SnapshotFlag,
        booleanFlag('changed', false),
        booleanFlag('new', true),
        segmentFlag('seg', 'nordics'),
      ],
      [{ ...nordics, conditions: [{ attribute: 'country', operator: 'in', values: ['FI'] }] }],
      9,
    );
    expect(live.replace(next).sort()).toEqual(['changed', 'gone', 'new', 'seg']);
    expect(live.version).toBe(9);
    expect(value(live, 'seg', { country: 'FI' })).toBe(true);
  });

  it('gives the same answers through overlays as a fresh compile, across many deltas', () => {
    const flags = Array.from({ length: 200 }, (_, i) => booleanFlag(`f${i}`, i % 2 === 0));
    const live = new LiveSnapshot(snapshot(flags));
    const truth = new Map(flags.map((f) => [f.key, f.enabled]));
    let version = 1;
    for (let round = 0; round < 120; round++) {
      const key = `f${(round * 37) % 230}`;
      const deleted = round % 11 === 0;
      const enabled = round % 3 === 0;
      version++;
      live.applyChange(change(version, { [key]: deleted ? null : booleanFlag(key, enabled) }));
      if (deleted) truth.delete(key);
      else truth.set(key, enabled);
      for (let i = 0; i < 230; i++) {
        const k = `f${i}`;
        const r = live.evaluate(k, {}, 'boolean');
        if (truth.has(k)) expect(r.value).toBe(truth.get(k));
        else expect(r.errorCode).toBe('FLAG_NOT_FOUND');
      }
    }
    expect(live.size).toBe(truth.size);
  });

  it('checks the outer shape of snapshots and changes', () => {
    expect(asSnapshot(null)).toBeUndefined();
    expect(asSnapshot({ version: 1 })).toBeUndefined();
    expect(asSnapshot({ version: '1', flags: {} })).toBeUndefined();
    expect(asSnapshot({ version: 1, flags: {} })).toEqual({ environment: '', version: 1, flags: {}, segments: {} });
    expect(asChange({ full: true })).toMatchObject({ full: true, flags: {}, segments: {} });
    expect(asChange({ version: 2, flags: [] })).toBeUndefined();
    expect(asChange({ version: 2, previousVersion: 1, flags: { a: null } })).toMatchObject({ version: 2, previousVersion: 1, flags: { a: null } });
  });

  it('compares JSON structurally', () => {
    expect(sameJson({ a: [1, { b: 2 }], c: 'x' }, { c: 'x', a: [1, { b: 2 }] })).toBe(true);
    expect(sameJson({ a: [1, 2] }, { a: [2, 1] })).toBe(false);
    expect(sameJson({ a: 1 }, { a: 1, b: undefined })).toBe(false);
    expect(sameJson([], {})).toBe(false);
  });
});
