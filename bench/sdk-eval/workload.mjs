// The shared workload of bench/sdk-eval: 100 flags; the flag under test, "new-checkout", is on
// for users in NO or SE (a rule) and for 25% of everyone else by a sticky rollout on the user id.
// Every implementation gets the same users and must reach the same decisions.

export const FLAG = 'new-checkout';
export const SALT = 'checkout-2025';
export const FLAG_COUNT = 100;
export const USERS = 100_000;
export const COUNTRIES = ['NO', 'SE', 'DK', 'FI', 'DE', 'US', 'GB', 'FR'];
export const NORDIC = new Set(['NO', 'SE']);

/** 100,000 stable, distinct user ids with a country each (a quarter of them Nordic). */
export function users() {
  const out = [];
  for (let i = 0; i < USERS; i++) out.push({ id: `user-${i.toString(36)}-${(i * 7919) % 100003}`, country: COUNTRIES[i % COUNTRIES.length] });
  return out;
}

/** The Switchyard snapshot: the flag under test plus 99 flags of the same shape. */
export function switchyardSnapshot() {
  const flags = {};
  const make = (key, salt) => ({
    key,
    type: 'boolean',
    variants: { on: true, off: false },
    enabled: true,
    offVariant: 'off',
    rules: [{ id: 'nordics', conditions: [{ attribute: 'country', operator: 'in', values: ['NO', 'SE'] }], serve: { variant: 'on' } }],
    defaultServe: {
      rollout: [
        { variant: 'on', weight: 25000 },
        { variant: 'off', weight: 75000 },
      ],
      salt,
    },
    version: 1,
  });
  for (let i = 0; i < FLAG_COUNT - 1; i++) flags[`flag-${i}`] = make(`flag-${i}`, `salt-${i}`);
  flags[FLAG] = make(FLAG, SALT);
  return { environment: 'production', version: 1, flags, segments: {} };
}

/**
 * MurmurHash3 x86_32 (seed 0) over the UTF-16 code units of an ASCII string — identical to the
 * engine's UTF-8 hash for the ASCII user ids of this workload. Written out by hand for the floor.
 */
export function murmur3Ascii(key) {
  const len = key.length;
  const blocks = len & ~3;
  let h = 0;
  let i = 0;
  for (; i < blocks; i += 4) {
    let k = key.charCodeAt(i) | (key.charCodeAt(i + 1) << 8) | (key.charCodeAt(i + 2) << 16) | (key.charCodeAt(i + 3) << 24);
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  let k = 0;
  switch (len & 3) {
    case 3:
      k ^= key.charCodeAt(i + 2) << 16;
    // falls through
    case 2:
      k ^= key.charCodeAt(i + 1) << 8;
    // falls through
    case 1:
      k ^= key.charCodeAt(i);
      k = Math.imul(k, 0xcc9e2d51);
      k = (k << 15) | (k >>> 17);
      k = Math.imul(k, 0x1b873593);
      h ^= k;
  }
  h ^= len;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The floor: the same decision with nothing but the arithmetic. */
export function inlinedDecision(id, country) {
  if (country === 'NO' || country === 'SE') return true;
  return murmur3Ascii(`${FLAG}.${SALT}:${id}`) % 100000 < 25000;
}

// The floor again, without the per-call string: the hash state after the constant prefix
// "<flag>.<salt>:" is computed once, and only the user id is hashed per call (what a careful
// hand-written implementation, or the engine, does).
const PREFIX = `${FLAG}.${SALT}:`;
const PREFIX_BLOCKS = PREFIX.length & ~3;
const PREFIX_REST = PREFIX.slice(PREFIX_BLOCKS);
const PREFIX_STATE = (() => {
  let h = 0;
  for (let i = 0; i < PREFIX_BLOCKS; i += 4) {
    let k = PREFIX.charCodeAt(i) | (PREFIX.charCodeAt(i + 1) << 8) | (PREFIX.charCodeAt(i + 2) << 16) | (PREFIX.charCodeAt(i + 3) << 24);
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  return h;
})();

function prehashedBucket(id) {
  const restLength = PREFIX_REST.length;
  const len = restLength + id.length;
  const at = (i) => (i < restLength ? PREFIX_REST.charCodeAt(i) : id.charCodeAt(i - restLength));
  const blocks = len & ~3;
  let h = PREFIX_STATE;
  let i = 0;
  for (; i < blocks; i += 4) {
    let k = at(i) | (at(i + 1) << 8) | (at(i + 2) << 16) | (at(i + 3) << 24);
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  let k = 0;
  switch (len & 3) {
    case 3:
      k ^= at(i + 2) << 16;
    // falls through
    case 2:
      k ^= at(i + 1) << 8;
    // falls through
    case 1:
      k ^= at(i);
      k = Math.imul(k, 0xcc9e2d51);
      k = (k << 15) | (k >>> 17);
      k = Math.imul(k, 0x1b873593);
      h ^= k;
  }
  h ^= PREFIX_BLOCKS + len;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) % 100000;
}

export function prehashedDecision(id, country) {
  if (country === 'NO' || country === 'SE') return true;
  return prehashedBucket(id) < 25000;
}
