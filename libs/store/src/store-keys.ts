/**
 * The Redis key layout the server writes and SDKs in `redis` mode read. The environment is a hash
 * tag (`{…}`), so an environment's snapshot and version always live in one Redis Cluster slot and
 * the compare-and-set script may touch both. The change channel is not a key (PUBLISH reaches every
 * node of a cluster), so the script gets it as an argument, never in KEYS.
 *
 * sdk/node/src/redis-source.ts spells the same layout (the SDK may not import server code); change both.
 */
export const storeKeys = {
  snapshot: (prefix: string, environment: string) => `${prefix}env:{${environment}}:snapshot`,
  version: (prefix: string, environment: string) => `${prefix}env:{${environment}}:version`,
  changes: (prefix: string) => `${prefix}changes`,
};
