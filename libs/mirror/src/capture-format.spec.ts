import { gzipSync } from 'node:zlib';
import { CaptureFormatError, CaptureRedactor, captureHeaderLine, decodeBody, encodeBody, parseCaptureSegment } from './capture-format';

describe('capture format', () => {
  const redactor = new CaptureRedactor({ headers: ['x-tenant-key'], paths: ['$.account.number', '$.items[*].card'] });

  it('masks secret headers, secret-looking keys and the configured paths, decoding compressed bodies first', () => {
    const body = gzipSync(JSON.stringify({ account: { number: 'A-1', tier: 'gold' }, items: [{ card: '4111', n: 1 }], password: 'hunter2', ok: true }));
    const stored = redactor.response({
      status: 200,
      headers: { 'content-encoding': 'gzip', 'set-cookie': ['a=1', 'b=2'], 'x-tenant-key': 'k', 'content-type': 'application/json' },
      body,
    });
    expect(stored.headers).toMatchObject({ 'set-cookie': '[redacted]', 'x-tenant-key': '[redacted]', 'content-type': 'application/json' });
    expect(stored.headers['content-encoding']).toBeUndefined();
    expect(JSON.parse(stored.body.toString())).toEqual({
      account: { number: '[redacted]', tier: 'gold' },
      items: [{ card: '[redacted]', n: 1 }],
      password: '[redacted]',
      ok: true,
    });
    expect(redactor.headers({ Authorization: 'Bearer x', cookie: 's=1', 'proxy-authorization': 'y' })).toEqual({
      authorization: '[redacted]',
      cookie: '[redacted]',
      'proxy-authorization': '[redacted]',
    });
    expect(redactor.url('/q?token=abc&x=1')).toBe('/q?token=[redacted]&x=1');
  });

  it('round-trips text and binary bodies', () => {
    const binary = Buffer.from([0xff, 0x00, 0xfe]);
    expect(encodeBody(binary)).toEqual({ base64: binary.toString('base64') });
    expect(decodeBody(encodeBody(binary))).toEqual(binary);
    expect(decodeBody(encodeBody(Buffer.from('héllo')))).toEqual(Buffer.from('héllo'));
    expect(encodeBody(Buffer.alloc(0))).toEqual({});
  });

  it('reads a segment up to its damage and refuses another version', () => {
    const header = JSON.stringify(captureHeaderLine(new Date('2026-01-01T00:00:00Z'), 1));
    const record = JSON.stringify({
      type: 'exchange',
      route: 'r',
      offsetMs: 1,
      request: { method: 'GET', url: '/', headers: {}, body: {} },
      primary: { status: 200, headers: {}, body: {}, ms: 1 },
    });
    expect(parseCaptureSegment(`${header}\n${record}\n`, 'f').records).toHaveLength(1);
    const cut = parseCaptureSegment(`${header}\n${record}\n${record.slice(0, 20)}`, 'f');
    expect(cut.records).toHaveLength(1);
    expect(cut.damage).toBe('f:3: truncated line (the file ends mid-record)');
    expect(() => parseCaptureSegment(header.replace('"version":1', '"version":2') + '\n', 'f')).toThrow(
      new CaptureFormatError('f: capture format version 2; this switchyard reads version 1 only'),
    );
    expect(() => parseCaptureSegment('hello\n', 'f')).toThrow('f: not a switchyard capture');
  });
});
