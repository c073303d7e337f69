import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Snapshot } from '@switchyard/core';
import { CacheFileWriter, readSnapshotFile } from './cache-file';
import { booleanFlag } from './protocol-server.fixture';

const snapshotAt = (version: number): Snapshot => ({ environment: 'production', version, flags: { a: booleanFlag('a', version % 2 === 0) }, segments: {} });

describe('cache file', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'switchyard-cache-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes the snapshot with its time, creating the directory, and reads it back', async () => {
    const path = join(dir, 'nested', 'flags.json');
    const writer = new CacheFileWriter(path, (err) => {
      throw err;
    });
    writer.write(() => snapshotAt(3));
    await writer.idle();
    const loaded = readSnapshotFile(path);
    expect(loaded.snapshot).toEqual(snapshotAt(3));
    expect(Date.parse(loaded.savedAt!)).toBeGreaterThan(Date.now() - 60_000);
    expect(readdirSync(join(dir, 'nested'))).toEqual(['flags.json']);
  });

  it('coalesces a burst of versions and ends with the newest; readers never see a torn file', async () => {
    const path = join(dir, 'flags.json');
    const serialised: number[] = [];
    const writer = new CacheFileWriter(path, (err) => {
      throw err;
    });
    // Big enough that a write takes a while, so readers run while files are being written.
    const big = (v: number): Snapshot => ({
      ...snapshotAt(v),
      flags: Object.fromEntries(Array.from({ length: 3000 }, (_, i) => [`f${i}`, booleanFlag(`f${i}`, (i + v) % 2 === 0)])),
    });
    let finished = false;
    let reads = 0;
    const reader = (async () => {
      while (!finished) {
        try {
          expect(readSnapshotFile(path).snapshot.flags.f0.key).toBe('f0');
          reads++;
        } catch (err) {
          expect((err as NodeJS.ErrnoException).code).toBe('ENOENT');
        }
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    for (let v = 1; v <= 30; v++) {
      writer.write(() => {
        serialised.push(v);
        return big(v);
      });
      await new Promise((resolve) => setImmediate(resolve));
    }
    await writer.idle();
    finished = true;
    await reader;
    expect(reads).toBeGreaterThan(0);
    expect(readSnapshotFile(path).snapshot.version).toBe(30);
    expect(serialised.length).toBeLessThan(30);
    expect(serialised[serialised.length - 1]).toBe(30);
    expect(readdirSync(dir)).toEqual(['flags.json']);
  });

  it('reads a plain snapshot document too (e.g. saved with curl)', () => {
    const path = join(dir, 'plain.json');
    writeFileSync(path, JSON.stringify(snapshotAt(8)));
    expect(readSnapshotFile(path)).toEqual({ snapshot: snapshotAt(8), savedAt: undefined });
  });

  it('rejects files that hold no snapshot', () => {
    const path = join(dir, 'bad.json');
    writeFileSync(path, JSON.stringify({ hello: 'world' }));
    expect(() => readSnapshotFile(path)).toThrow(/does not hold a snapshot/);
    writeFileSync(path, '{"snapshot": ');
    expect(() => readSnapshotFile(path)).toThrow(SyntaxError);
  });

  it('reports a write it cannot make and leaves no temporary file behind', async () => {
    const blocker = join(dir, 'not-a-dir');
    writeFileSync(blocker, 'x');
    const errors: Error[] = [];
    const writer = new CacheFileWriter(join(blocker, 'flags.json'), (err) => errors.push(err));
    writer.write(() => snapshotAt(1));
    await writer.idle();
    expect(errors).toHaveLength(1);
    expect(errors[0].message).toMatch(/ENOTDIR|EEXIST/);
    expect(readdirSync(dir)).toEqual(['not-a-dir']);
    expect(readFileSync(blocker, 'utf8')).toBe('x');
  });
});
