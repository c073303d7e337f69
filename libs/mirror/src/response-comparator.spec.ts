import type { PreparedResponse } from './prepared-response';
import { ResponseComparator } from './response-comparator';

const response = (status: number, headers: Record<string, string>, value: unknown): PreparedResponse => ({ status, headers, body: { type: 'json', value } });

describe('ResponseComparator', () => {
  const comparator = new ResponseComparator({ ignore: ['$.timestamp', 'header:date'], unorderedArrays: [], headers: ['content-type', 'date', 'x-version'] });

  it('compares status, configured headers and the body, not other headers', () => {
    const primary = response(200, { 'content-type': 'application/json', date: 'Mon', server: 'a', 'x-version': '1' }, { a: 1, timestamp: 1 });
    const candidate = response(201, { 'content-type': 'text/json', date: 'Tue', server: 'b' }, { a: 2, timestamp: 2 });
    expect(comparator.compare(primary, candidate)).toEqual([
      { field: 'status', path: 'status', kind: 'value', primary: 200, candidate: 201 },
      { field: 'header:content-type', path: 'header:content-type', kind: 'value', primary: 'application/json', candidate: 'text/json' },
      { field: 'header:x-version', path: 'header:x-version', kind: 'missing', primary: '1' },
      { field: '$.a', path: '$.a', kind: 'value', primary: 1, candidate: 2 },
    ]);
  });

  it('compares opaque bodies by hash and JSON against non-JSON by type', () => {
    const bytes = (text: string): PreparedResponse => ({ status: 200, headers: {}, body: { type: 'bytes', sha256: text, length: text.length, preview: text } });
    expect(comparator.compare(bytes('x'), bytes('x'))).toEqual([]);
    expect(comparator.compare(bytes('x'), bytes('y'))).toEqual([expect.objectContaining({ field: 'body', kind: 'value' })]);
    expect(comparator.compare(response(200, {}, {}), bytes('garbage'))).toEqual([
      expect.objectContaining({ field: 'body', kind: 'type', primary: { type: 'json' }, candidate: expect.objectContaining({ type: 'bytes' }) }),
    ]);
  });

  it('can ignore the status and opaque bodies', () => {
    const lax = new ResponseComparator({ ignore: ['status', 'body'], unorderedArrays: [], headers: [] });
    const bytes = (text: string): PreparedResponse => ({ status: 500, headers: {}, body: { type: 'bytes', sha256: text, length: 1, preview: text } });
    expect(lax.compare(response(200, {}, {}), bytes('z'))).toEqual([]);
  });

  it('recognises byte-identical captured responses without parsing them', () => {
    const captured = (status: number, headers: Record<string, string | string[]>, body: string) => ({ status, headers, body: Buffer.from(body) });
    const body = '{"a":1,"timestamp":1}';
    const primary = captured(200, { 'content-type': 'application/json', date: 'Mon', server: 'a' }, body);
    // Headers that are not compared (server) or ignored (date) may differ.
    expect(comparator.identical(primary, captured(200, { 'content-type': 'application/json', date: 'Tue', server: 'b' }, body))).toBe(true);
    expect(comparator.identical(primary, captured(201, { 'content-type': 'application/json' }, body))).toBe(false);
    expect(comparator.identical(primary, captured(200, { 'content-type': 'text/json' }, body))).toBe(false);
    expect(comparator.identical(primary, captured(200, { 'content-type': 'application/json', 'x-version': '2' }, body))).toBe(false);
    expect(comparator.identical(primary, captured(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' }, body))).toBe(false);
    // Same meaning, other bytes: left to the structural comparison.
    expect(comparator.identical(primary, captured(200, { 'content-type': 'application/json' }, '{"timestamp":1,"a":1}'))).toBe(false);
    expect(comparator.identical(captured(200, { 'set-cookie': ['a', 'b'] }, ''), captured(200, { 'set-cookie': 'a, b' }, ''))).toBe(true);
  });
});
