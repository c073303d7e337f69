import { SseParser, type SseEvent } from './sse-parser';

function parseAll(chunks: string[]): { events: SseEvent[]; comments: string[]; retries: number[] } {
  const events: SseEvent[] = [];
  const comments: string[] = [];
  const retries: number[] = [];
  const parser = new SseParser({ event: (e) => events.push(e), comment: (c) => comments.push(c), retry: (ms) => retries.push(ms) });
  for (const chunk of chunks) parser.feed(chunk);
  return { events, comments, retries };
}

const STREAM =
  '\uFEFF: ping\n\n' +
  'event: snapshot\nid: 42\ndata: {"version":42,\ndata: "flags":{}}\n\n' +
  'retry: 1500\r\n' +
  'event: change\r\nid: 43\r\ndata:{"version":43}\r\n\r\n' +
  ': ping\r\r' +
  'data: plain message\rid\r\r' +
  'event: ignored-without-data\n\n' +
  'data\n\n' +
  'event: change\ndata: {"emoji":"👤 用户"}\n\n';

const EXPECTED: SseEvent[] = [
  { event: 'snapshot', id: '42', data: '{"version":42,\n"flags":{}}' },
  { event: 'change', id: '43', data: '{"version":43}' },
  { event: 'message', id: '', data: 'plain message' },
  { event: 'message', id: undefined, data: '' },
  { event: 'change', id: undefined, data: '{"emoji":"👤 用户"}' },
];

describe('SseParser', () => {
  it('parses events, multi-line data, ids, comments and retry with LF, CRLF and CR line ends', () => {
    const { events, comments, retries } = parseAll([STREAM]);
    expect(events).toEqual(EXPECTED);
    expect(comments).toEqual(['ping', 'ping']);
    expect(retries).toEqual([1500]);
  });

  it('gives the same result however the stream is cut into chunks', () => {
    // Every split point, including between a CR and its LF and inside multi-byte characters' surrogate pairs.
    for (let i = 1; i < STREAM.length; i++) {
      expect(parseAll([STREAM.slice(0, i), STREAM.slice(i)]).events).toEqual(EXPECTED);
    }
    expect(parseAll(Array.from(STREAM)).events).toEqual(EXPECTED);
  });

  it('does not dispatch an event until its blank line arrives', () => {
    const events: SseEvent[] = [];
    const parser = new SseParser({ event: (e) => events.push(e) });
    parser.feed('event: change\ndata: {"a":1}\n');
    expect(events).toHaveLength(0);
    parser.feed('\n');
    expect(events).toEqual([{ event: 'change', id: undefined, data: '{"a":1}' }]);
  });

  it('forgets a half-received event on reset (a dropped connection)', () => {
    const events: SseEvent[] = [];
    const parser = new SseParser({ event: (e) => events.push(e) });
    parser.feed('event: change\ndata: {"half":');
    parser.reset();
    parser.feed('event: snapshot\ndata: {}\n\n');
    expect(events).toEqual([{ event: 'snapshot', id: undefined, data: '{}' }]);
  });

  it('keeps the last event id across events and ignores ids containing NUL', () => {
    const parser = new SseParser({ event: () => undefined });
    parser.feed('id: 7\ndata: a\n\ndata: b\n\nid: 8\u0000\ndata: c\n\n');
    expect(parser.lastId).toBe('7');
  });

  it('handles a multi-megabyte data line arriving in small chunks', () => {
    const big = JSON.stringify({ flags: Object.fromEntries(Array.from({ length: 20000 }, (_, i) => [`flag-${i}`, { enabled: i % 2 === 0 }])) });
    const text = `event: snapshot\nid: 1\ndata: ${big}\n\n`;
    const events: SseEvent[] = [];
    const parser = new SseParser({ event: (e) => events.push(e) });
    for (let i = 0; i < text.length; i += 16384) parser.feed(text.slice(i, i + 16384));
    expect(events).toHaveLength(1);
    expect(events[0].data).toBe(big);
  });

  it('drops a line that grows past the limit instead of buffering without bound', () => {
    const events: SseEvent[] = [];
    const overflows: number[] = [];
    const parser = new SseParser({ event: (e) => events.push(e), overflow: (n) => overflows.push(n) }, 1000);
    parser.feed('data: ');
    for (let i = 0; i < 20; i++) parser.feed('x'.repeat(100));
    expect(overflows).toEqual([1006]);
    parser.feed('\n\nevent: change\ndata: ok\n\n');
    expect(events).toEqual([{ event: 'change', id: undefined, data: 'ok' }]);
  });
});
