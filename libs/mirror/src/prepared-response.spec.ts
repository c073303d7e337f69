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
});
