import { bucket, bucketPrefix, bucketWithPrefix } from './bucket';
import { referenceMurmurhash3 as reference } from '../../spec/reference-bucket';
import { murmurhash3, murmurhash3Prefix, murmurhash3WithPrefix } from './murmurhash3';

// Deterministic pseudo-random strings covering 1-, 2-, 3- and 4-byte UTF-8 and lone surrogates.
function randomStrings(count: number): string[] {
  let state = 42;
  const next = () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state;
  };
  const pools = [
    () => 0x20 + (next() % 0x5f),
    () => 0x80 + (next() % 0x780),
    () => 0x800 + (next() % 0xd000),
    () => 0xd800 + (next() % 0x800), // lone surrogates
  ];
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const len = next() % 24;
    let s = '';
    for (let j = 0; j < len; j++) {
      const kind = next() % 6;
      if (kind === 5) s += String.fromCodePoint(0x10000 + (next() % 0xfffff));
      else s += String.fromCharCode(pools[kind % 4]());
    }
    out.push(s);
  }
  return out;
}

describe('murmurhash3', () => {
  // Published vectors: Wikipedia's MurmurHash article / SMHasher-derived test suites, and the
  // Python mmh3 README (mmh3.hash("foo", signed=False) == 4138058784, mmh3.hash("foo", 42) ==
  // -1322301282).
  it.each([
    ['', 0, 0],
    ['', 1, 0x514e28b7],
    ['', 0xffffffff, 0x81f16f39],
    ['\0\0\0\0', 0, 0x2362f9de],
    ['\0\0\0', 0, 0x85f0b427],
    ['\0\0', 0, 0x30f4c306],
    ['!Ce', 0, 0x7e4a8634],
    ['!C', 0, 0xa0f7b07a],
    ['!', 0, 0x72661cf4],
    ['test', 0, 0xba6bd213],
    ['test', 0x9747b28c, 0x704b81dc],
    ['aaaa', 0x9747b28c, 0x5a97808a],
    ['abc', 0, 0xb3dd93fa],
    ['abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq', 0, 0xee925b90],
    ['Hello, world!', 0, 0xc0363e43],
    ['Hello, world!', 0x9747b28c, 0x24884cba],
    ['ππππππππ', 0x9747b28c, 0xd58063c1],
    ['a'.repeat(256), 0x9747b28c, 0x37405bdc],
    ['The quick brown fox jumps over the lazy dog', 0, 0x2e4ff723],
    ['The quick brown fox jumps over the lazy dog', 0x9747b28c, 0x2fa826cd],
    ['hello', 0, 613153351],
    ['foo', 0, 4138058784],
    ['foo', 42, -1322301282 >>> 0],
  ])('hash(%j, %d) is a published value', (input, seed, expected) => {
    expect(murmurhash3(input, seed)).toBe(expected);
    expect(reference(input, seed)).toBe(expected);
  });

  it('defaults the seed to 0 and returns unsigned 32-bit integers', () => {
    expect(murmurhash3('hello')).toBe(613153351);
    for (const s of randomStrings(200)) {
      const h = murmurhash3(s);
      expect(Number.isInteger(h) && h >= 0 && h <= 0xffffffff).toBe(true);
    }
  });

  it('hashes the UTF-8 bytes, like Buffer.from(s, "utf8"), for arbitrary strings', () => {
    for (const s of randomStrings(2000)) {
      expect(murmurhash3(s, 7)).toBe(reference(s, 7));
    }
    // Emoji (surrogate pair) and a lone surrogate at the very end.
    expect(murmurhash3('👋🏽 hi')).toBe(reference('👋🏽 hi'));
    expect(murmurhash3('x\ud800')).toBe(reference('x\ud800'));
    expect(murmurhash3('x\ud800')).toBe(murmurhash3('x\ufffd'));
  });

  it('hashing a prefix once and resuming equals hashing the concatenation', () => {
    const strings = randomStrings(300);
    for (let i = 0; i < strings.length - 1; i++) {
      const prefix = murmurhash3Prefix(strings[i], i);
      expect(murmurhash3WithPrefix(prefix, strings[i + 1])).toBe(murmurhash3(strings[i] + strings[i + 1], i));
      // The prefix state is reusable.
      expect(murmurhash3WithPrefix(prefix, 'x')).toBe(murmurhash3(`${strings[i]}x`, i));
    }
  });

  it('a surrogate pair split between prefix and value is not merged (each half is a lone surrogate)', () => {
    // Documented edge: rollout prefixes end in ':' so this cannot happen for buckets.
    const prefix = murmurhash3Prefix('a\ud83d');
    expect(murmurhash3WithPrefix(prefix, '\udc4b')).toBe(murmurhash3('a\ufffd\ufffd'));
  });
});

describe('bucket', () => {
  it('is murmurhash3 of "flag.salt:value" modulo 100000', () => {
    expect(bucket('new-checkout', 's1', 'user-1')).toBe(murmurhash3('new-checkout.s1:user-1') % 100000);
    const prefix = bucketPrefix('new-checkout', 's1');
    for (let i = 0; i < 1000; i++) {
      const b = bucket('new-checkout', 's1', `user-${i}`);
      expect(b).toBeGreaterThanOrEqual(0);
      expect(b).toBeLessThan(100000);
      expect(bucketWithPrefix(prefix, `user-${i}`)).toBe(b);
    }
  });

  it('spreads users roughly uniformly', () => {
    const counts = new Array<number>(10).fill(0);
    for (let i = 0; i < 100000; i++) counts[Math.floor(bucket('f', 'salt', `u${i}`) / 10000)]++;
    for (const c of counts) expect(Math.abs(c - 10000)).toBeLessThan(500);
  });

  it('depends on flag key and salt', () => {
    let sameFlag = 0;
    let sameSalt = 0;
    for (let i = 0; i < 1000; i++) {
      if (bucket('a', 's', `u${i}`) === bucket('b', 's', `u${i}`)) sameFlag++;
      if (bucket('a', 's', `u${i}`) === bucket('a', 't', `u${i}`)) sameSalt++;
    }
    expect(sameFlag).toBeLessThan(5);
    expect(sameSalt).toBeLessThan(5);
  });
});
