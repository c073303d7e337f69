// A strict ISO-8601 / RFC 3339 parser. Date.parse is not used because it accepts many
// implementation-specific formats and reads offset-less date-times in the machine's local
// time zone, which would make `before`/`after` depend on where the SDK runs.
//
// Accepted: YYYY-MM-DD, optionally followed by T (or t) HH:MM[:SS[.fraction]] and an optional
// Z / ±HH:MM / ±HHMM offset. A missing offset means UTC. Fractions beyond milliseconds are
// truncated. Runs without allocating, since attribute values are parsed on every evaluation.

// Bound once: inside vm contexts (Jest, sandboxes) every global lookup is slow.
const dateUtc = Date.UTC;
const floor = Math.floor;

function digits(s: string, at: number, count: number): number {
  let n = 0;
  for (let i = at; i < at + count; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    n = n * 10 + c;
  }
  return n;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** Epoch milliseconds of a strict ISO-8601 date or date-time, or NaN. */
export function parseIsoDate(s: string): number {
  const len = s.length;
  if (len < 10 || len > 64) return NaN;
  const year = digits(s, 0, 4);
  const month = digits(s, 5, 2);
  const day = digits(s, 8, 2);
  if (year < 0 || month < 1 || month > 12 || day < 1 || s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45) return NaN;
  if (day > daysInMonth(year, month)) return NaN;
  if (len === 10) return utc(year, month, day, 0, 0, 0, 0);

  const t = s.charCodeAt(10);
  if ((t !== 84 && t !== 116) || len < 16) return NaN; // 'T' | 't'
  const hour = digits(s, 11, 2);
  const minute = digits(s, 14, 2);
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || s.charCodeAt(13) !== 58) return NaN;
  let i = 16;
  let second = 0;
  let millis = 0;
  if (i < len && s.charCodeAt(i) === 58) {
    second = digits(s, i + 1, 2);
    if (i + 3 > len || second < 0 || second > 59) return NaN;
    i += 3;
    if (i < len && s.charCodeAt(i) === 46) {
      i++;
      const start = i;
      let scale = 100;
      while (i < len) {
        const c = s.charCodeAt(i) - 48;
        if (c < 0 || c > 9) break;
        millis += c * scale;
        scale /= 10;
        i++;
      }
      if (i === start) return NaN;
      millis = floor(millis);
    }
  }
  let offsetMinutes = 0;
  if (i < len) {
    const z = s.charCodeAt(i);
    if (z === 90 || z === 122) {
      // 'Z' | 'z'
      i++;
    } else if (z === 43 || z === 45) {
      // '+' | '-'
      const oh = digits(s, i + 1, 2);
      let om: number;
      if (s.charCodeAt(i + 3) === 58) {
        om = digits(s, i + 4, 2);
        i += 6;
      } else {
        om = digits(s, i + 3, 2);
        i += 5;
      }
      if (i > len || oh < 0 || oh > 23 || om < 0 || om > 59) return NaN;
      offsetMinutes = (oh * 60 + om) * (z === 45 ? -1 : 1);
    } else {
      return NaN;
    }
  }
  if (i !== len) return NaN;
  return utc(year, month, day, hour, minute, second, millis) - offsetMinutes * 60000;
}

function utc(y: number, mo: number, d: number, h: number, mi: number, s: number, ms: number): number {
  if (y >= 100) return dateUtc(y, mo - 1, d, h, mi, s, ms);
  // Date.UTC maps years 0..99 to 1900..1999, so set the year explicitly (rare, may allocate).
  return new Date(Date.UTC(2000, mo - 1, d, h, mi, s, ms)).setUTCFullYear(y, mo - 1, d);
}
