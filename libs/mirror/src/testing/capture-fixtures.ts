import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { captureHeaderLine, encodeBody, type CaptureRecordLine, type CaptureRouteLine } from '../capture-format';

// Captures for the replay specs, written in the recorder's format.

export const CAPTURED_ROUTE: CaptureRouteLine = {
  type: 'route',
  name: 'quotes',
  endpoints: ['/quotes/:symbol'],
  compare: { ignore: [], unorderedArrays: [], headers: [] },
  verdict: { minCompared: 1, maxMismatchPercent: 0 },
  noise: { relativePercent: 50, absolutePercent: 1 },
  maxBodyBytes: 65_536,
  redact: { headers: [], paths: [] },
};

let sequence = 0;
export const quote = (symbol: string, price: number) => JSON.stringify({ symbol, price, at: `t${++sequence}` });

export function captureRecord(i: number, offsetMs: number, route = 'quotes'): CaptureRecordLine {
  return {
    type: 'exchange',
    route,
    offsetMs,
    request: { method: 'GET', url: `/quotes/S${i}`, headers: { accept: 'application/json', authorization: '[redacted]' }, body: {} },
    primary: { status: 200, headers: { 'content-type': 'application/json' }, body: encodeBody(Buffer.from(quote(`S${i}`, i))), ms: 3 },
  };
}

export function writeCapture(dir: string, records: CaptureRecordLine[], options: { truncate?: boolean } = {}): void {
  mkdirSync(dir, { recursive: true });
  const lines = [captureHeaderLine(new Date('2026-12-01T00:00:00Z'), 1), CAPTURED_ROUTE, ...records].map((line) => JSON.stringify(line));
  let text = `${lines.join('\n')}\n`;
  if (options.truncate) text = text.slice(0, -20);
  writeFileSync(join(dir, '00000001.ndjson'), text);
}
