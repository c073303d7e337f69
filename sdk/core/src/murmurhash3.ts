// MurmurHash3 x86 32-bit over the UTF-8 bytes of a string.
//
// The bytes are produced on the fly from UTF-16 code units instead of through TextEncoder so
// that hashing allocates nothing and runs unchanged in any JS runtime. Lone surrogates are
// hashed as U+FFFD (EF BF BD), which is exactly what TextEncoder and Buffer.from(s, 'utf8') do,
// so other SDKs that hash real UTF-8 bytes agree with us.
//
// The hash state (h, pending block k, pending byte count n, total length) lives in an
// Int32Array so a fixed prefix (`flagKey.salt:`) can be absorbed once at compile time and
// resumed per evaluation without building the concatenated string.

// Globals are looked up through an interceptor (and never inlined) when code runs inside a vm
// context, as under Jest; binding Math.imul once made hashing about 40x faster there.
const imul = Math.imul;

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

/** Absorbed-but-not-finalized hash state: [h, pending block, pending byte count, total byte length]. */
export type MurmurState = Int32Array;

// Reused by every call; safe because nothing in here can re-enter.
const scratch: MurmurState = new Int32Array(4);

function mixBlock(h: number, k: number): number {
  k = imul(k, C1);
  k = (k << 15) | (k >>> 17);
  k = imul(k, C2);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (imul(h, 5) + 0xe6546b64) | 0;
}

function absorb(state: MurmurState, text: string): void {
  let h = state[0];
  let k = state[1];
  let n = state[2];
  let len = state[3];
  const end = text.length;
  for (let i = 0; i < end; i++) {
    let c = text.charCodeAt(i);
    // `packed` holds the UTF-8 bytes of one code point, lowest byte first.
    let packed: number;
    let count: number;
    if (c < 0x80) {
      packed = c;
      count = 1;
    } else if (c < 0x800) {
      packed = 0xc0 | (c >>> 6) | ((0x80 | (c & 0x3f)) << 8);
      count = 2;
    } else {
      if (c >= 0xd800 && c <= 0xdfff) {
        const next = i + 1 < end ? text.charCodeAt(i + 1) : 0;
        if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
          c = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
          i++;
        } else {
          c = 0xfffd;
        }
      }
      if (c < 0x10000) {
        packed = 0xe0 | (c >>> 12) | ((0x80 | ((c >>> 6) & 0x3f)) << 8) | ((0x80 | (c & 0x3f)) << 16);
        count = 3;
      } else {
        packed = 0xf0 | (c >>> 18) | ((0x80 | ((c >>> 12) & 0x3f)) << 8) | ((0x80 | ((c >>> 6) & 0x3f)) << 16) | ((0x80 | (c & 0x3f)) << 24);
        count = 4;
      }
    }
    for (let j = 0; j < count; j++) {
      k |= (packed & 0xff) << (n << 3);
      packed >>>= 8;
      len++;
      if (++n === 4) {
        h = mixBlock(h, k);
        k = 0;
        n = 0;
      }
    }
  }
  state[0] = h;
  state[1] = k;
  state[2] = n;
  state[3] = len;
}

function finish(state: MurmurState): number {
  let h = state[0];
  let k = state[1];
  if (state[2] > 0) {
    k = imul(k, C1);
    k = (k << 15) | (k >>> 17);
    k = imul(k, C2);
    h ^= k;
  }
  h ^= state[3];
  h ^= h >>> 16;
  h = imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** MurmurHash3 x86 32-bit of the UTF-8 encoding of `key`; unsigned. */
export function murmurhash3(key: string, seed = 0): number {
  scratch[0] = seed | 0;
  scratch[1] = 0;
  scratch[2] = 0;
  scratch[3] = 0;
  absorb(scratch, key);
  return finish(scratch);
}

/** Absorbs `prefix` once so that {@link murmurhash3WithPrefix} can hash `prefix + value` repeatedly. */
export function murmurhash3Prefix(prefix: string, seed = 0): MurmurState {
  const state = new Int32Array(4);
  state[0] = seed | 0;
  absorb(state, prefix);
  return state;
}

/**
 * Same as `murmurhash3(prefix + value, seed)` without building the concatenated string, as long
 * as the prefix does not end in a high surrogate (each half of a split pair counts as a lone
 * surrogate). Rollout prefixes always end in ':'.
 */
export function murmurhash3WithPrefix(prefix: MurmurState, value: string): number {
  scratch[0] = prefix[0];
  scratch[1] = prefix[1];
  scratch[2] = prefix[2];
  scratch[3] = prefix[3];
  absorb(scratch, value);
  return finish(scratch);
}
