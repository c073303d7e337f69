import { randomBytes } from 'node:crypto';
import { ClientEvent, createClient, type SwitchyardClient } from '@switchyard/node-sdk';
import { ApiClient } from '../../support/api-client';
import { ensureServerBuild, ServerProcess } from '../../support/built-server';
import { freePort } from '../../support/free-port';

/**
 * Three (or more) server processes on one database and one Redis, for the outage variants of the
 * replica test: started together, SDK clients in stream mode connected straight to each replica,
 * and writes whose every outcome (status, body, latency) is kept for the assertions.
 */
export class ReplicaSet {
  readonly adminToken = `sy_test_${randomBytes(18).toString('base64url')}`;
  readonly prefix = `test:${randomBytes(5).toString('hex')}:`;
  readonly replicas: ServerProcess[] = [];
  readonly clients: Array<{ client: SwitchyardClient; replica: number; staleAt: number[] }> = [];
  sdkToken = '';

  static async start(count: number, env: Record<string, string>): Promise<ReplicaSet> {
    ensureServerBuild();
    const set = new ReplicaSet();
    const full = { ...env, REDIS_PREFIX: set.prefix, SWITCHYARD_ADMIN_TOKEN: set.adminToken };
    for (let i = 0; i < count; i++) set.replicas.push(new ServerProcess(await freePort(), full));
    // The first runs the migrations; the others start on the migrated schema together.
    await set.replicas[0].start();
    await Promise.all(set.replicas.slice(1).map((replica) => replica.start()));
    const admin = set.admin(0);
    const seed = await admin.post('/api/v1/flags', { key: 'seed', type: 'boolean', environments: { staging: { enabled: true } } });
    if (seed.status !== 201) throw new Error(`seed flag: ${seed.status} ${JSON.stringify(seed.body)}`);
    set.sdkToken = await admin.token_('sdk-staging', ['sdk:staging']);
    return set;
  }

  admin(index: number): ApiClient {
    return new ApiClient(this.replicas[index % this.replicas.length].url, this.adminToken);
  }

  /** `perReplica` stream clients on every replica, connected in batches (a busy machine refuses bursts). */
  async connectStreamClients(perReplica: number): Promise<void> {
    for (let replica = 0; replica < this.replicas.length; replica++) {
      for (let batch = 0; batch < perReplica; batch += 25) {
        const clients = await Promise.all(
          Array.from({ length: Math.min(25, perReplica - batch) }, () =>
            createClient({
              url: this.replicas[replica].url,
              token: this.sdkToken,
              mode: 'stream',
              metricsIntervalMs: 0,
              reconnectInitialMs: 200,
              reconnectMaxMs: 1000,
              timeoutMs: 20_000,
            }),
          ),
        );
        for (const client of clients) {
          const entry = { client, replica, staleAt: [] as number[] };
          client.on(ClientEvent.Stale, () => entry.staleAt.push(Date.now()));
          this.clients.push(entry);
        }
      }
    }
  }

  /** How many clients lack one of `present` or hold one of `absent`. */
  lagging(present: string[], absent: string[] = []): number {
    return this.clients.filter(({ client }) => {
      const keys = new Set(client.flagKeys());
      return !present.every((key) => keys.has(key)) || absent.some((key) => keys.has(key));
    }).length;
  }

  async stop(): Promise<void> {
    await Promise.all(this.clients.map(({ client }) => client.close()));
    await Promise.all(this.replicas.map((replica) => replica.kill('SIGTERM')));
  }
}

export interface WriteOutcome {
  key: string;
  replica: number;
  /** HTTP status, or 0 when no answer came within the client's bound. */
  status: number;
  body: any;
  ms: number;
  at: number;
}

/** Creates a boolean flag through `replica`, waiting at most `timeoutMs` for the answer. */
export async function createFlag(set: ReplicaSet, replica: number, key: string, timeoutMs: number): Promise<WriteOutcome> {
  const at = Date.now();
  try {
    const res = await fetch(`${set.replicas[replica].url}/api/v1/flags`, {
      method: 'POST',
      headers: { authorization: `Bearer ${set.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ key, type: 'boolean', environments: { staging: { enabled: true } } }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // not JSON: kept as text for the failure message
    }
    return { key, replica, status: res.status, body, ms: Date.now() - at, at };
  } catch (error) {
    return { key, replica, status: 0, body: (error as Error).message, ms: Date.now() - at, at };
  }
}

/** A short description of the outcomes that are neither 201 nor a clean 503, for failure messages. */
export function unclean(outcomes: WriteOutcome[]): string[] {
  return outcomes
    .filter((o) => o.status !== 201 && !isCleanUnavailable(o))
    .map((o) => `${o.key} via ${o.replica}: ${o.status} in ${o.ms} ms ${JSON.stringify(o.body).slice(0, 300)}`);
}

/** 503 in the one error shape, naming the database as what is unavailable and why. */
export function isCleanUnavailable(o: WriteOutcome): boolean {
  const error = o.body?.error;
  return (
    o.status === 503 &&
    error?.code === 'UNAVAILABLE' &&
    typeof error.requestId === 'string' &&
    error.details?.[0]?.path === 'database' &&
    typeof error.details[0].problem === 'string' &&
    error.details[0].problem.length > 0
  );
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))];
}
