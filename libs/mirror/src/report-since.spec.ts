import { ValidationFailedError } from '@switchyard/errors';
import { parseReportSince } from './report-since';

describe('parseReportSince', () => {
  it('takes ISO 8601 dates and date-times and leaves an absent value absent', () => {
    expect(parseReportSince(undefined)).toBeUndefined();
    expect(parseReportSince('2026-11-26T12:30:00Z')?.toISOString()).toBe('2026-11-26T12:30:00.000Z');
    expect(parseReportSince('2026-11-26T13:30:00+01:00')?.toISOString()).toBe('2026-11-26T12:30:00.000Z');
    expect(parseReportSince('2026-11-26')?.toISOString()).toBe('2026-11-26T00:00:00.000Z');
  });

  it.each(['yesterday', '1', 'May 5 2026', '2026-13-45T00:00:00Z', ''])('rejects %p naming since', (value) => {
    let thrown: unknown;
    try {
      parseReportSince(value);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ValidationFailedError);
    expect((thrown as ValidationFailedError).status).toBe(400);
    expect((thrown as ValidationFailedError).details).toEqual([{ path: 'since', problem: expect.stringContaining('ISO 8601') }]);
  });
});
