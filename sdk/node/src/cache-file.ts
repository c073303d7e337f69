import { readFileSync } from 'node:fs';
import { mkdir, rename, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Snapshot } from '@switchyard/core';
import { asSnapshot } from './live-snapshot';

/** What the cache file holds; a plain snapshot (e.g. saved with curl) is read as well. */
interface CacheFileContent {
  savedAt: string;
  snapshot: Snapshot;
}

export interface LoadedSnapshot {
  snapshot: Snapshot;
  savedAt?: string;
}

/**
 * Reads a snapshot file: the SDK's own cache file or a plain snapshot document. Synchronous on
 * purpose: it runs once while the client is created, before anything can be evaluated.
 * Throws with a readable message when the file is missing or not a snapshot.
 */
export function readSnapshotFile(path: string): LoadedSnapshot {
  const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'));
  const wrapped = parsed !== null && typeof parsed === 'object' && 'snapshot' in parsed ? (parsed as Partial<CacheFileContent>) : undefined;
  const snapshot = asSnapshot(wrapped !== undefined ? wrapped.snapshot : parsed);
  if (snapshot === undefined) throw new Error(`${path} does not hold a snapshot ({ environment, version, flags, segments })`);
  return { snapshot, savedAt: typeof wrapped?.savedAt === 'string' ? wrapped.savedAt : undefined };
}

let sequence = 0;

/**
 * Writes the last-known-good snapshot so a process that starts while the server is down can
 * serve what the previous run saw. Each write goes to a temporary file in the same directory and
 * is renamed over the cache file, so a crash mid-write leaves the previous complete file. Writes
 * never overlap: while one runs, only the newest requested state is remembered and written next.
 */
export class CacheFileWriter {
  private running: Promise<void> | undefined;
  private pending: (() => Snapshot) | undefined;
  private madeDir = false;

  constructor(
    private readonly path: string,
    private readonly onError: (error: Error) => void,
  ) {}

  /** `read` is called when the write starts, so a burst of versions costs one serialisation. */
  write(read: () => Snapshot): void {
    this.pending = read;
    if (this.running === undefined) this.running = this.drain();
  }

  /** Resolves once nothing is being or waiting to be written. */
  async idle(): Promise<void> {
    while (this.running !== undefined) await this.running;
  }

  private async drain(): Promise<void> {
    try {
      while (this.pending !== undefined) {
        const read = this.pending;
        this.pending = undefined;
        await this.writeAtomically(read);
      }
    } finally {
      this.running = undefined;
    }
  }

  private async writeAtomically(read: () => Snapshot): Promise<void> {
    const temp = join(dirname(this.path), `.${basename(this.path)}.${process.pid}.${++sequence}.tmp`);
    try {
      const content: CacheFileContent = { savedAt: new Date().toISOString(), snapshot: read() };
      const text = JSON.stringify(content);
      if (!this.madeDir) {
        await mkdir(dirname(this.path), { recursive: true });
        this.madeDir = true;
      }
      await writeFile(temp, text, { mode: 0o600 });
      await rename(temp, this.path);
    } catch (err) {
      await unlink(temp).catch(() => undefined);
      this.onError(err instanceof Error ? err : new Error(String(err)));
    }
  }
}
