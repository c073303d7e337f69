import { murmurhash3, murmurhash3Prefix, murmurhash3WithPrefix, type MurmurState } from './murmurhash3';

/** Rollout weights are in thousandths of a percent, so one rollout's weights sum to this. */
export const TOTAL_WEIGHT = 100000;

/**
 * The rollout bucket (0..99999) of `value` for one flag and salt. The flag key is part of the
 * hash input so that the same user lands in unrelated buckets for different flags, and the salt
 * lets an operator deliberately reshuffle a rollout.
 */
export function bucket(flagKey: string, salt: string, value: string): number {
  return murmurhash3(`${flagKey}.${salt}:${value}`) % TOTAL_WEIGHT;
}

/** Hash state of `${flagKey}.${salt}:` for {@link bucketWithPrefix}. */
export function bucketPrefix(flagKey: string, salt: string): MurmurState {
  return murmurhash3Prefix(`${flagKey}.${salt}:`);
}

/** Equal to `bucket(flagKey, salt, value)` for the prefix made by {@link bucketPrefix}. */
export function bucketWithPrefix(prefix: MurmurState, value: string): number {
  return murmurhash3WithPrefix(prefix, value) % TOTAL_WEIGHT;
}
