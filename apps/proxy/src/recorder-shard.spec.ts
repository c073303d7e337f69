import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mirrorRouteSchema } from '@switchyard/mirror';
import { createLogger } from '@switchyard/observability';
import { CaptureRecorder } from './recorder';

const route = mirrorRouteSchema.parse({ name: 'r', primary: 'http://127.0.0.1:1', candidate: 'http://127.0.0.1:2', sample: { percent: 0 } });
const logger = createLogger('silent', 'test');

/** Enough exchanges of ~40 KB to fill `segments` segments of 64 KB (one exchange does not fit twice). */
function fill(recorder: CaptureRecorder, segments: number): void {
  const body = Buffer.alloc(40 * 1024, 'x');
  for (let i = 0; i < segments; i++) {
    recorder.enqueue({
      route,
      offsetMs: i,
      method: 'GET',
      url: `/q/${i}`,
      requestHeaders: {},
      requestBody: Buffer.alloc(0),
      status: 200,
      responseHeaders: { 'content-type': 'text/plain' },
      responseBody: body,
      ms: 1,
      bytes: body.length + 1024,
    });
  }
}

describe('CaptureRecorder shards (cluster workers sharing a --record directory)', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'switchyard-shard-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('gives each worker its own segment names and a share of the file bound, deleting only its own', async () => {
    // 4 files, 256 KB: a worker of two keeps 2 segments of 64 KB.
    const settings = { dir, sample: 100, maxBytes: 256 * 1024, maxFiles: 4 };
    const workers = [1, 2].map((slot) => new CaptureRecorder(settings, { logger, shard: { slot, of: 2 } }));
    for (const recorder of workers) fill(recorder, 5);
    await Promise.all(workers.map((recorder) => recorder.close()));
    const names = readdirSync(dir).sort();
    expect(names.filter((name) => name.includes('-w1-'))).toHaveLength(2);
    expect(names.filter((name) => name.includes('-w2-'))).toHaveLength(2);
    expect(names).toHaveLength(4);
  });

  it('has slot 1 adopt segments of a single-process run and of slots beyond the count', async () => {
    const header = (name: string) => writeFileSync(join(dir, name), '{"type":"header"}\n');
    header('capture-20260101T000000Z-000001.ndjson');
    header('capture-20260101T000000Z-w3-000001.ndjson');
    header('capture-20260101T000000Z-w2-000001.ndjson');
    const settings = { dir, sample: 100, maxBytes: 128 * 1024, maxFiles: 2 };
    // One file each: slot 1 replaces the untagged and the w3 segment with its own; slot 2 its old w2 one.
    const workers = [1, 2].map((slot) => new CaptureRecorder(settings, { logger, shard: { slot, of: 2 } }));
    for (const recorder of workers) fill(recorder, 1);
    await Promise.all(workers.map((recorder) => recorder.close()));
    const names = readdirSync(dir).sort();
    expect(names).toHaveLength(2);
    expect(names.every((name) => !name.startsWith('capture-20260101T000000Z'))).toBe(true);
  });
});
