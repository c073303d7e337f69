import { NON_PRINTABLE, isPageCursor, parseStrictDate } from './request-fields';

describe('request fields', () => {
  it('accepts canonical cursors within bigint only', () => {
    for (const cursor of ['0', '1', '42', '9223372036854775807']) expect([cursor, isPageCursor(cursor)]).toEqual([cursor, true]);
    for (const cursor of ['', '01', '-1', '+1', '1.0', '1e3', '9223372036854775808', '99999999999999999999', 7]) {
      expect([cursor, isPageCursor(cursor)]).toEqual([cursor, false]);
    }
  });

  it('parses ISO 8601 dates and date-times with a timezone, and nothing looser', () => {
    expect(parseStrictDate('2024-05-01')?.toISOString()).toBe('2024-05-01T00:00:00.000Z');
    expect(parseStrictDate('2024-05-01T12:30Z')?.toISOString()).toBe('2024-05-01T12:30:00.000Z');
    expect(parseStrictDate('2024-02-29T23:59:59.5-01:00')?.toISOString()).toBe('2024-03-01T00:59:59.500Z');
    for (const text of [
      '2024-W01',
      '2024-001',
      '2023-02-29',
      '2024-13-01',
      '2024-05-01T12:30',
      '2024-05-01T24:00Z',
      '2024-05-01T12:30:00+2',
      'May 1, 2024',
      '',
    ]) {
      expect([text, parseStrictDate(text)]).toEqual([text, undefined]);
    }
  });

  it('treats control characters, line separators and bidi overrides as not printable', () => {
    for (const text of ['a\u0000', 'a\u001b[2K', 'a\n', 'a\u0085', 'a\u2028', 'a\u202e']) expect(NON_PRINTABLE.test(text)).toBe(true);
    for (const text of ['ci-deployer', 'Ada Lovelace', 'Zoë ✓ 日本', 'emoji 👩‍💻']) expect(NON_PRINTABLE.test(text)).toBe(false);
  });
});
