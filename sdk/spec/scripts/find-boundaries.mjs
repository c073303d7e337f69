#!/usr/bin/env node
// Generates vectors/rollouts.json: rollout cases whose targeting keys were searched for by
// their hash so that they land exactly on bucket boundaries (w - 1 and w), plus a few
// ordinary ones. Run from the repo root:
//
//   node sdk/spec/scripts/find-boundaries.mjs
//
// It deliberately carries its own MurmurHash3 over Buffer's UTF-8 bytes instead of importing
// @switchyard/core, so the buckets written into the vectors are an independent computation
// that the conformance test then checks the engine against. The search is deterministic, so
// re-running it reproduces the same file.

import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const TOTAL = 100000;

function murmurhash3(key, seed = 0) {
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

// Guard against a broken copy of the hash: published MurmurHash3 x86_32 vectors.
for (const [input, seed, expected] of [
  ['', 1, 0x514e28b7],
  ['Hello, world!', 0x9747b28c, 0x24884cba],
  ['ππππππππ', 0x9747b28c, 0xd58063c1],
  ['The quick brown fox jumps over the lazy dog', 0, 0x2e4ff723],
  ['hello', 0, 613153351],
]) {
  if (murmurhash3(input, seed) !== expected) throw new Error(`murmurhash3 self-check failed for ${JSON.stringify(input)}`);
}

const bucketOf = (flagKey, salt, value) => murmurhash3(`${flagKey}.${salt}:${value}`) % TOTAL;

/** The first `count` candidates (in generation order) whose bucket is `target`. */
function findKeys(flagKey, salt, target, candidate, count = 1, limit = 20_000_000) {
  const found = [];
  for (let i = 0; i < limit && found.length < count; i++) {
    const value = candidate(i);
    if (bucketOf(flagKey, salt, String(value)) === target) found.push(value);
  }
  if (found.length < count) throw new Error(`no key for ${flagKey} bucket ${target}`);
  return found;
}

function pick(rollout, b) {
  let cumulative = 0;
  for (const { variant, weight } of rollout) {
    cumulative += weight;
    if (b < cumulative) return variant;
  }
  throw new Error('weights do not cover the bucket');
}

const flags = {
  'ramp-25': {
    key: 'ramp-25',
    type: 'boolean',
    variants: { on: true, off: false },
    enabled: true,
    offVariant: 'off',
    rules: [],
    defaultServe: {
      rollout: [
        { variant: 'on', weight: 25000 },
        { variant: 'off', weight: 75000 },
      ],
      salt: 'ramp-2025',
    },
    version: 4,
  },
  'three-way': {
    key: 'three-way',
    type: 'string',
    variants: { control: 'control', a: 'treatment-a', b: 'treatment-b' },
    enabled: true,
    offVariant: 'control',
    rules: [],
    defaultServe: {
      rollout: [
        { variant: 'control', weight: 50000 },
        { variant: 'a', weight: 30000 },
        { variant: 'b', weight: 20000 },
      ],
      salt: 'exp-7',
    },
    version: 2,
  },
  'rule-rollout': {
    key: 'rule-rollout',
    type: 'number',
    variants: { small: 10, large: 100 },
    enabled: true,
    offVariant: 'small',
    rules: [
      {
        id: 'beta-split',
        description: 'beta accounts get a 10/90 split by account',
        conditions: [{ attribute: 'plan', operator: 'in', values: ['beta'] }],
        serve: {
          rollout: [
            { variant: 'small', weight: 10000 },
            { variant: 'large', weight: 90000 },
          ],
          bucketBy: 'accountId',
          salt: 's1',
        },
      },
    ],
    defaultServe: { variant: 'small' },
    version: 9,
  },
  'nested-bucket': {
    key: 'nested-bucket',
    type: 'object',
    variants: { x: { tier: 'x' }, y: { tier: 'y', limits: [1, 2, 3] } },
    enabled: true,
    offVariant: 'y',
    rules: [],
    defaultServe: {
      rollout: [
        { variant: 'x', weight: 1 },
        { variant: 'y', weight: 99999 },
      ],
      bucketBy: 'org.id',
      salt: '',
    },
    version: 1,
  },
  'zero-weight': {
    key: 'zero-weight',
    type: 'string',
    variants: { a: 'A', b: 'B', c: 'C', d: 'D' },
    enabled: true,
    offVariant: 'a',
    rules: [],
    defaultServe: {
      rollout: [
        { variant: 'a', weight: 0 },
        { variant: 'b', weight: 60000 },
        { variant: 'c', weight: 0 },
        { variant: 'd', weight: 40000 },
      ],
      salt: 'z',
    },
    version: 1,
  },
};

const cases = [];

function serveOf(flagKey, ruleId) {
  const flag = flags[flagKey];
  return ruleId === undefined ? flag.defaultServe : flag.rules.find((r) => r.id === ruleId).serve;
}

function addCase(name, flagKey, context, { ruleId, bucketValue } = {}) {
  const flag = flags[flagKey];
  const serve = serveOf(flagKey, ruleId);
  const b = bucketOf(flagKey, serve.salt, String(bucketValue));
  const variant = pick(serve.rollout, b);
  const expected = { value: flag.variants[variant], variant, reason: 'SPLIT' };
  if (ruleId !== undefined) expected.ruleId = ruleId;
  cases.push({ name, flag: flagKey, context, expected, bucket: b });
}

// ramp-25: boundary 25000 plus both ends of the bucket range.
{
  const { salt } = flags['ramp-25'].defaultServe;
  for (const target of [24999, 25000, 0, 99999]) {
    const keys = findKeys('ramp-25', salt, target, (i) => `user-${i}`, target === 24999 || target === 25000 ? 2 : 1);
    keys.forEach((k, n) => addCase(`bucket ${target} (${n + 1})`, 'ramp-25', { targetingKey: k }, { bucketValue: k }));
  }
  for (const target of [24999, 25000]) {
    const [cjk] = findKeys('ramp-25', salt, target, (i) => `用户-${i}`);
    addCase(`bucket ${target} with a CJK targeting key`, 'ramp-25', { targetingKey: cjk }, { bucketValue: cjk });
    const [emoji] = findKeys('ramp-25', salt, target, (i) => `👤 ${i}`);
    addCase(`bucket ${target} with an emoji targeting key`, 'ramp-25', { targetingKey: emoji }, { bucketValue: emoji });
  }
  for (let i = 0; i < 10; i++) {
    addCase(`ordinary key user-${i}`, 'ramp-25', { targetingKey: `user-${i}` }, { bucketValue: `user-${i}` });
  }
}

// three-way: every internal boundary.
{
  const { salt } = flags['three-way'].defaultServe;
  for (const target of [49999, 50000, 79999, 80000]) {
    const keys = findKeys('three-way', salt, target, (i) => `visitor-${i.toString(16)}`, 2);
    keys.forEach((k, n) => addCase(`bucket ${target} (${n + 1})`, 'three-way', { targetingKey: k }, { bucketValue: k }));
  }
}

// rule-rollout: a rollout inside a rule, bucketed by a custom attribute, string and number.
{
  const { salt } = flags['rule-rollout'].rules[0].serve;
  for (const target of [9999, 10000]) {
    const [s] = findKeys('rule-rollout', salt, target, (i) => `acct-${i}`);
    addCase(
      `rule rollout bucket ${target}`,
      'rule-rollout',
      { targetingKey: 'irrelevant', plan: 'beta', accountId: s },
      {
        ruleId: 'beta-split',
        bucketValue: s,
      },
    );
    const [n] = findKeys('rule-rollout', salt, target, (i) => 1000000 + i);
    addCase(
      `rule rollout bucket ${target} with a numeric accountId`,
      'rule-rollout',
      { plan: 'beta', accountId: n },
      {
        ruleId: 'beta-split',
        bucketValue: n,
      },
    );
  }
}

// nested-bucket: a 1-wide first slice, bucketed by a dotted attribute.
{
  for (const target of [0, 1]) {
    const [k] = findKeys('nested-bucket', '', target, (i) => `org-${i}`);
    addCase(`bucket ${target} by org.id`, 'nested-bucket', { targetingKey: 'someone', org: { id: k } }, { bucketValue: k });
  }
}

// zero-weight: zero-weight variants are never served, even at bucket 0.
{
  const { salt } = flags['zero-weight'].defaultServe;
  for (const target of [0, 59999, 60000, 99999]) {
    const [k] = findKeys('zero-weight', salt, target, (i) => `z${i}`);
    addCase(`bucket ${target}`, 'zero-weight', { targetingKey: k }, { bucketValue: k });
  }
}

// Rollouts without a usable bucketing attribute.
const missing = (name, flag, context) => cases.push({ name, flag, context, expected: { value: null, reason: 'ERROR', errorCode: 'TARGETING_KEY_MISSING' } });
missing('no targetingKey', 'ramp-25', { country: 'NO' });
missing('empty targetingKey', 'ramp-25', { targetingKey: '' });
missing('boolean targetingKey', 'ramp-25', { targetingKey: true });
missing('null targetingKey', 'ramp-25', { targetingKey: null });
missing('object targetingKey', 'three-way', { targetingKey: { id: 'u1' } });
missing('rule rollout without accountId (targetingKey is not used)', 'rule-rollout', { targetingKey: 'u1', plan: 'beta' });
missing('dotted bucketBy with the parent missing', 'nested-bucket', { targetingKey: 'u1' });
missing('dotted bucketBy with a non-object parent', 'nested-bucket', { targetingKey: 'u1', org: 'acme' });

cases.push({
  name: 'rule not matched falls through to a single-variant default',
  flag: 'rule-rollout',
  context: { plan: 'free' },
  expected: { value: 10, variant: 'small', reason: 'DEFAULT' },
});
cases.push({
  name: 'expected type checked before the rollout',
  flag: 'ramp-25',
  context: {},
  expectedType: 'string',
  expected: { value: null, reason: 'ERROR', errorCode: 'TYPE_MISMATCH' },
});

const vector = {
  description:
    'Percentage rollouts: keys chosen by hash to land exactly on bucket boundaries (w-1 and w), ' +
    'custom and dotted bucketBy attributes, numeric keys, zero weights and missing keys. ' +
    'Generated by sdk/spec/scripts/find-boundaries.mjs; bucket = murmurhash3("<flag>.<salt>:<value>") % 100000.',
  segments: {},
  flags,
  cases,
};

const out = join(dirname(fileURLToPath(import.meta.url)), '..', 'vectors', 'rollouts.json');
writeFileSync(out, `${JSON.stringify(vector, null, 2)}\n`);
console.log(`wrote ${cases.length} cases to ${out}`);
