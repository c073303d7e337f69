import { Redis } from 'ioredis';
import type { TestServer } from '../../support/test-server';
import { waitFor } from '../../support/test-server';

/**
 * Waits until the server has published an environment's snapshot to Redis — the precondition of
 * the SDK's `redis` mode. Right after start-up a publish can miss Redis (the connection is still
 * opening) and then the reconciler writes it within RECONCILE_INTERVAL.
 */
export async function publishedToRedis(server: TestServer, environment: string): Promise<void> {
  const redis = new Redis(server.redisUrl!, { maxRetriesPerRequest: 1 });
  try {
    await waitFor(
      async () => (await redis.exists(`${server.config.redis.prefix}env:{${environment}}:snapshot`)) === 1,
      20_000,
      `${environment} published to Redis`,
    );
  } finally {
    redis.disconnect();
  }
}
