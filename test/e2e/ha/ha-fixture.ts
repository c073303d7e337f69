import { randomBytes } from 'node:crypto';
import { createClient, type ClientOptions, type SwitchyardClient } from '@switchyard/node-sdk';
import { ApiClient } from '../../support/api-client';
import { startTestServer, waitFor, type TestServer } from '../../support/test-server';

/**
 * Two server replicas on one database and one Redis topology (Sentinel or Cluster, given as env),
 * with SDK clients in stream mode on each replica and in redis mode straight on the topology.
 * Flags created in a burst are the acknowledged writes: each 201 must end up in every client.
 */
export class HaFleet {
  readonly prefix = `test:${randomBytes(5).toString('hex')}:`;
  readonly adminToken = `sy_test_${randomBytes(18).toString('base64url')}`;
  readonly servers: TestServer[] = [];
  readonly clients: SwitchyardClient[] = [];
  readonly acknowledged: string[] = [];
  readonly refused: Array<{ key: string; status: number }> = [];
  sdkToken = '';

  constructor(private readonly redisEnv: Record<string, string>) {}

  async start(replicas = 2): Promise<void> {
    // Short reconcile interval: a change whose publish fell into the failover is republished quickly.
    const env = { ...this.redisEnv, REDIS_PREFIX: this.prefix, SWITCHYARD_ADMIN_TOKEN: this.adminToken, RECONCILE_INTERVAL: '1s' };
    const first = await startTestServer({ redis: 'none', env });
    this.servers.push(first);
    for (let i = 1; i < replicas; i++) this.servers.push(await startTestServer({ redis: 'none', database: first.database, env }));
    const created = await this.admin(0).post('/api/v1/flags', { key: 'seed', type: 'boolean', environments: { staging: { enabled: true } } });
    expect(created.status).toBe(201);
    this.sdkToken = await this.admin(0).token_('sdk-staging', ['sdk:staging']);
  }

  admin(index: number): ApiClient {
    return new ApiClient(this.servers[index % this.servers.length].url, this.adminToken);
  }

  async connectStreamClients(perServer: number): Promise<void> {
    for (const server of this.servers) {
      for (let i = 0; i < perServer; i++) {
        this.clients.push(
          await createClient({ url: server.url, token: this.sdkToken, mode: 'stream', metricsIntervalMs: 0, reconnectInitialMs: 200, reconnectMaxMs: 1000 }),
        );
      }
    }
  }

  async connectRedisClients(count: number, redis: ClientOptions['redis']): Promise<void> {
    for (let i = 0; i < count; i++) {
      this.clients.push(
        await createClient({
          mode: 'redis',
          environment: 'staging',
          redis: { ...redis, prefix: this.prefix },
          metricsIntervalMs: 0,
          reconnectInitialMs: 200,
          reconnectMaxMs: 1000,
        }),
      );
    }
  }

  /** Creates `count` flags, alternating replicas; `midway` runs (not awaited by the writes) half-way through. */
  async burst(count: number, midway: () => Promise<void>): Promise<void> {
    let fault: Promise<void> | undefined;
    for (let i = 0; i < count; i++) {
      if (i === Math.floor(count / 2)) fault = midway();
      const key = `burst-${i}`;
      const res = await this.admin(i).post('/api/v1/flags', { key, type: 'boolean', environments: { staging: { enabled: i % 2 === 0 } } });
      if (res.status === 201) this.acknowledged.push(key);
      else this.refused.push({ key, status: res.status });
    }
    await fault;
  }

  /** Every client holds every acknowledged flag; on timeout, says which clients lag and why. */
  async converged(timeoutMs: number): Promise<void> {
    try {
      await waitFor(
        () => this.clients.every((client) => this.acknowledged.every((key) => client.flagKeys().includes(key))),
        timeoutMs,
        'every client to hold every acknowledged flag',
      );
    } catch (error) {
      const lagging = this.clients
        .map((client, index) => ({ index, missing: this.acknowledged.filter((key) => !client.flagKeys().includes(key)).length, ...client.stats() }))
        .filter((entry) => entry.missing > 0)
        .map(({ index, missing, source, status, version, connected, lastError }) => ({ index, missing, source, status, version, connected, lastError }));
      throw new Error(`${(error as Error).message}: ${JSON.stringify(lagging)}`, { cause: error });
    }
  }

  lagging(): number {
    return this.clients.filter((client) => !this.acknowledged.every((key) => client.flagKeys().includes(key))).length;
  }

  async stop(): Promise<void> {
    await Promise.all(this.clients.map((client) => client.close()));
    for (const server of [...this.servers].reverse()) await server.close();
  }
}
