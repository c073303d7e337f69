import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CaptureLocationError, captureLocationProblem, resolveCaptureLocation } from './capture-location';
import { CaptureReadError, readCaptureDirectory } from './capture-replay';
import { captureRecord as record, CAPTURED_ROUTE as ROUTE, writeCapture } from './testing/capture-fixtures';

describe('reading a capture directory', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'capture-read-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('reads segments in order and says what stops a capture, by kind', async () => {
    writeCapture(join(root, 'ok'), [record(2, 20), record(1, 10)]);
    const capture = await readCaptureDirectory(join(root, 'ok'), { allowPartial: false });
    expect(capture.exchanges.map((e) => e.record.request.url)).toEqual(['/quotes/S1', '/quotes/S2']);
    expect(capture.routes.get('quotes')).toEqual(ROUTE);

    const kind = async (dir: string, allowPartial = false) => {
      try {
        await readCaptureDirectory(dir, { allowPartial });
      } catch (error) {
        return error instanceof CaptureReadError ? error.kind : 'other';
      }
      return 'read';
    };
    expect(await kind(join(root, 'missing'))).toBe('unreadable');
    writeFileSync(join(root, 'file'), '');
    expect(await kind(join(root, 'file'))).toBe('not-a-directory');
    mkdirSync(join(root, 'empty'));
    expect(await kind(join(root, 'empty'))).toBe('empty');
    writeCapture(join(root, 'cut'), [record(1, 10), record(2, 20)], { truncate: true });
    expect(await kind(join(root, 'cut'))).toBe('damaged');
    await expect(readCaptureDirectory(join(root, 'cut'), { allowPartial: true })).resolves.toMatchObject({ damage: expect.stringContaining('truncated line') });
  });
});

describe('capture locations under CAPTURE_ROOT', () => {
  it('accepts relative paths of plain names and refuses escapes, absolute paths and odd characters', () => {
    expect(captureLocationProblem('staging/quotes')).toBeUndefined();
    expect(captureLocationProblem('quotes-2026.12_01/')).toBeUndefined();
    expect(captureLocationProblem('../etc')).toMatch(/no "\." or "\.\." segments/);
    expect(captureLocationProblem('staging/../../etc')).toMatch(/no "\." or "\.\." segments/);
    expect(captureLocationProblem('/etc/passwd')).toMatch(/not an absolute path/);
    expect(captureLocationProblem('C:\\captures')).toMatch(/not an absolute path/);
    expect(captureLocationProblem('a\\..\\b')).toMatch(/letters, digits/);
    expect(captureLocationProblem('')).toBe('must not be empty');
    expect(captureLocationProblem('x'.repeat(600))).toMatch(/at most 512/);
  });

  it('resolves inside the root only, following links, and says when a capture is missing', async () => {
    const root = mkdtempSync(join(tmpdir(), 'capture-root-'));
    const outside = mkdtempSync(join(tmpdir(), 'capture-outside-'));
    try {
      mkdirSync(join(root, 'staging', 'quotes'), { recursive: true });
      symlinkSync(outside, join(root, 'escape'));
      await expect(resolveCaptureLocation(root, 'staging/quotes')).resolves.toMatch(/staging\/quotes$/);
      const failure = (location: string) => resolveCaptureLocation(root, location).catch((error: unknown) => error as CaptureLocationError);
      expect(await failure('staging/nope')).toMatchObject({ kind: 'missing', message: 'capture staging/nope does not exist under CAPTURE_ROOT' });
      expect(await failure('escape')).toMatchObject({ kind: 'outside', message: 'capture escape leads outside CAPTURE_ROOT' });
      expect(await failure('../etc')).toMatchObject({ kind: 'refused' });
    } finally {
      rmSync(root, { recursive: true, force: true });
      rmSync(outside, { recursive: true, force: true });
    }
  });
});
