import { brotliCompressSync, deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import { BodyTooLargeError, prepareResponse } from './prepared-response';

const json = Buffer.from(JSON.stringify({ symbol: 'ABC', price: 10 }));

describe('prepareResponse', () => {
  it.each([
    ['gzip', gzipSync(json)],
    ['br', brotliCompressSync(json)],
    ['deflate', deflateSync(json)],
    ['deflate', deflateRawSync(json)],
    ['identity', json],
  ])('decodes %s and parses JSON', async (encoding, body) => {
    const prepared = await prepareResponse({ status: 200, headers: { 'Content-Encoding': encoding, 'content-type': 'application/json' }, body }, 1 << 20);
    expect(prepared.body).toEqual({ type: 'json', value: { symbol: 'ABC', price: 10 } });
    expect(prepared.headers['content-encoding']).toBe(encoding);
  });

  it('undoes stacked encodings in reverse order', async () => {
    const body = brotliCompressSync(gzipSync(json));
    const prepared = await prepareResponse({ status: 200, headers: { 'content-encoding': 'gzip, br' }, body }, 1 << 20);
    expect(prepared.body).toMatchObject({ type: 'json' });
  });

  it('keeps non-JSON and malformed JSON as hashed bytes', async () => {
    const text = await prepareResponse({ status: 200, headers: { 'content-type': 'text/plain' }, body: Buffer.from('hello') }, 1024);
    expect(text.body).toMatchObject({ type: 'bytes', length: 5, preview: 'hello' });
    const broken = await prepareResponse({ status: 200, headers: { 'content-type': 'application/json' }, body: Buffer.from('{"a":') }, 1024);
    expect(broken.body).toMatchObject({ type: 'bytes', length: 5 });
  });

  it('marks a body that does not decode', async () => {
    const prepared = await prepareResponse({ status: 200, headers: { 'content-encoding': 'gzip' }, body: Buffer.from('not gzip') }, 1024);
    expect(prepared.body).toMatchObject({ type: 'undecodable', length: 8 });
  });

  it('refuses a decompression bomb past the limit', async () => {
    const bomb = gzipSync(Buffer.alloc(10 * 1024 * 1024));
    await expect(prepareResponse({ status: 200, headers: { 'content-encoding': 'gzip' }, body: bomb }, 64 * 1024)).rejects.toBeInstanceOf(BodyTooLargeError);
  });

  it('joins repeated headers and lowercases names', async () => {
    const prepared = await prepareResponse({ status: 204, headers: { 'Set-Cookie': ['a=1', 'b=2'], 'X-N': 3 }, body: Buffer.alloc(0) }, 1024);
    expect(prepared.headers).toEqual({ 'set-cookie': 'a=1, b=2', 'x-n': '3' });
    expect(prepared.body).toMatchObject({ type: 'bytes', length: 0 });
  });

  it('picks the comparison format from the content type, else from the first bytes, and parses once', async () => {
    const formatOf = async (body: string | Buffer, contentType?: string) =>
      (await prepareResponse({ status: 200, headers: contentType ? { 'content-type': contentType } : {}, body: Buffer.from(body) }, 1 << 20)).body;
    expect(await formatOf('<p>x</p>', 'text/html; charset=utf-8')).toMatchObject({ format: 'html', document: { leaves: [{ path: '/p', value: 'x' }] } });
    expect(await formatOf('<a>1</a>', 'application/soap+xml')).toMatchObject({ format: 'xml' });
    expect(await formatOf('a=1', 'application/x-www-form-urlencoded')).toMatchObject({ format: 'form' });
    expect(await formatOf('a\nb\n', 'text/csv')).toMatchObject({ format: 'text', document: { lines: ['a', 'b'] } });
    expect(await formatOf('<!DOCTYPE html><title>t</title>')).toMatchObject({ format: 'html' });
    expect(await formatOf('<?xml version="1.0"?><r/>')).toMatchObject({ format: 'xml' });
    expect(await formatOf('plain words')).toMatchObject({ format: 'text' });
    // Text that is not UTF-8 is binary whatever it claims; binary has no garbage preview.
    expect(await formatOf(Buffer.from([0xff, 0xfe, 0x00]), 'text/plain')).toMatchObject({ format: 'binary', preview: '', length: 3 });
    expect(await formatOf('GIF89a', 'image/gif')).toMatchObject({ format: 'binary', preview: 'GIF89a' });
    // Past the line cap there is nothing to diff; the body is compared by hash.
    expect(await formatOf('x\n'.repeat(30_000), 'text/plain')).not.toHaveProperty('document');
  });
});
