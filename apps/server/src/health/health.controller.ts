import { Controller, Get, Header, Res, UseGuards, type OnModuleInit } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Public } from '@switchyard/auth';
import { ClusterAccess, type ClusterState } from '@switchyard/deploy';
import type { FastifyReply } from 'fastify';
import type { RedisClient as Redis } from '@switchyard/redis';
import { MetricsService } from '@switchyard/observability';
import { Database } from '@switchyard/persistence';
import { RedisConnections } from '@switchyard/redis';
import { MetricsTokenGuard } from './metrics-token.guard';

type PartState = 'up' | 'down' | 'disabled';

@ApiExcludeController()
@Public()
@Controller()
export class HealthController implements OnModuleInit {
  private probe?: Redis;

  constructor(
    private readonly db: Database,
    private readonly redis: RedisConnections,
    private readonly metrics: MetricsService,
    private readonly cluster: ClusterAccess,
  ) {}

  onModuleInit(): void {
    if (this.redis.enabled) this.probe = this.redis.create('health');
  }

  /** Liveness: the process answers. Deliberately checks nothing else, so a Redis outage never restarts pods. */
  @Get('healthz')
  healthz(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /**
   * Readiness: every dependency this replica needs to serve traffic. The cluster is reported with
   * the reason it cannot be used, but does not make the replica unready: flags and the API work
   * without it (only rollouts answer 503), and every replica shares the same kubeconfig.
   */
  @Get('readyz')
  async readyz(@Res({ passthrough: true }) reply: FastifyReply): Promise<{ status: string; checks: Record<string, PartState>; kubernetes: ClusterState }> {
    const [database, migrations, redis, kubernetes] = await Promise.all([
      this.checkDatabase(),
      this.checkMigrations(),
      this.checkRedis(),
      withTimeout(this.cluster.state(), 6000).catch((error: unknown) => ({ state: 'down' as const, reason: String(error) })),
    ]);
    const checks = { database, migrations, redis };
    const ready = Object.values(checks).every((state) => state !== 'down');
    void reply.status(ready ? 200 : 503);
    return { status: ready ? 'ready' : 'not-ready', checks, kubernetes };
  }

  /** Prometheus exposition; behind METRICS_TOKEN when that is set. */
  @Get('metrics')
  @UseGuards(MetricsTokenGuard)
  @Header('cache-control', 'no-store')
  async metricsText(@Res() reply: FastifyReply): Promise<void> {
    const { contentType, body } = await this.metrics.render();
    await reply.header('content-type', contentType).send(body);
  }

  private async checkDatabase(): Promise<PartState> {
    return withTimeout(
      this.db.ping().then(() => 'up' as const),
      2000,
    ).catch(() => 'down' as const);
  }

  private async checkMigrations(): Promise<PartState> {
    return withTimeout(this.db.pendingMigrations(), 2000)
      .then((pending) => (pending ? ('down' as const) : ('up' as const)))
      .catch(() => 'down' as const);
  }

  private async checkRedis(): Promise<PartState> {
    if (!this.probe) return 'disabled';
    if (this.probe.status !== 'ready') return 'down';
    return withTimeout(this.probe.ping(), 1000)
      .then(() => 'up' as const)
      .catch(() => 'down' as const);
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timeout')), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
