// A plain, obviously-correct MurmurHash3 x86_32 over Buffer's UTF-8 bytes (Node only). Test
// suites use it to recompute vector buckets independently of the engine's streaming,
// allocation-free implementation.

export function referenceMurmurhash3(key: string, seed = 0): number {
  const data = Buffer.from(key, 'utf8');
  const blocks = data.length >> 2;
  let h = seed >>> 0;
  for (let i = 0; i < blocks; i++) {
    let k = data.readUInt32LE(i * 4);
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  let k = 0;
  const tail = blocks * 4;
  const rest = data.length & 3;
  if (rest >= 3) k ^= data[tail + 2] << 16;
  if (rest >= 2) k ^= data[tail + 1] << 8;
  if (rest >= 1) {
    k ^= data[tail];
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
  }
  h ^= data.length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** `murmurhash3("<flagKey>.<salt>:<value>") % 100000`, the rollout bucket. */
export function referenceBucket(flagKey: string, salt: string, value: string): number {
  return referenceMurmurhash3(`${flagKey}.${salt}:${value}`) % 100000;
}
