import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { Logger } from 'pino';
import { APP_CONFIG, type AppConfig } from '@switchyard/config';
import { LOGGER, RoundLoop } from '@switchyard/observability';
import { Database } from '@switchyard/persistence';
import { ClusterAccess } from '../kubernetes/cluster-access';
import { RolloutEngine } from './rollout.engine';
import { RolloutSignals } from './rollout-signals';
import { RolloutsRepository } from './rollouts.repository';

/**
 * Moves rollouts forward on this replica. Each poll (and each in-process nudge: a start, an
 * approval) claims runnable rollouts under a lease, drives them with RolloutEngine, and renews the
 * lease while they run. A replica that stops releases its leases on the way out; one that dies
 * simply stops renewing, and another replica (or the restarted one) continues from the recorded
 * step once the lease runs out.
 */
@Injectable()
export class RolloutDriver implements OnApplicationBootstrap, OnModuleDestroy {
  readonly owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private readonly running = new Map<string, { controller: AbortController; done: Promise<void>; token: string }>();
  private claims = 0;
  private readonly rounds = new RoundLoop(
    () => this.tick(),
    (error) => this.logger.error({ err: error }, 'rollout driver round failed'),
  );
  private unsubscribe?: () => void;

  constructor(
    private readonly db: Database,
    private readonly rollouts: RolloutsRepository,
    private readonly engine: RolloutEngine,
    private readonly signals: RolloutSignals,
    private readonly cluster: ClusterAccess,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.cluster.configured) {
      this.logger.info({ reason: this.cluster.unavailableReason }, 'rollouts disabled: no Kubernetes cluster');
      return;
    }
    this.logger.info({ cluster: this.cluster.kubernetes().target.source, owner: this.owner }, 'rollout driver started');
    this.unsubscribe = this.signals.on((signal) => {
      if (signal.kind === 'runnable') this.kick();
    });
    // Renewal must come well within the lease, and a poll catches other replicas' work.
    this.rounds.start(Math.max(100, Math.min(this.config.rolloutPollIntervalMs, Math.floor(this.config.rolloutLeaseMs / 3))));
  }

  /** Runs a claim round now (or right after the current one). */
  kick(): void {
    this.rounds.kick();
  }

  /** Rollouts this replica is driving right now. */
  get active(): string[] {
    return [...this.running.keys()];
  }

  async onModuleDestroy(): Promise<void> {
    const stopping = this.rounds.stop();
    this.unsubscribe?.();
    await stopping;
    for (const { controller } of this.running.values()) controller.abort();
    await Promise.allSettled([...this.running.values()].map((run) => run.done));
  }

  private async tick(): Promise<void> {
    const held = new Map([...this.running].map(([id, run]) => [id, run.token]));
    if (held.size) {
      const renewed = new Set(await this.db.transaction((manager) => this.rollouts.renew(manager, held, this.config.rolloutLeaseMs)));
      for (const id of held.keys()) {
        if (renewed.has(id)) continue;
        this.logger.warn({ rolloutId: id }, 'lost the lease of a rollout; another replica drives it now');
        this.running.get(id)?.controller.abort();
      }
    }
    if (this.rounds.stopped) return;
    const token = `${this.owner}#${++this.claims}`;
    const claimed = await this.db.transaction((manager) => this.rollouts.claim(manager, token, this.config.rolloutLeaseMs, [...this.running.keys()]));
    for (const id of claimed) this.start(id, token);
  }

  private start(id: string, token: string): void {
    const controller = new AbortController();
    const done = this.engine
      .drive(id, controller.signal)
      .catch((error: unknown) => {
        this.logger.error({ err: error, rolloutId: id }, 'rollout stopped on an error');
        return 'retry' as const;
      })
      .then(async (outcome) => {
        this.running.delete(id);
        // Hand the rollout back at once (the next claimant need not wait out the lease), or after
        // a pause when it hit an error, so an unreachable cluster is not hammered.
        const delayMs = outcome === 'retry' ? Math.min(60_000, this.config.rolloutPollIntervalMs * 2) : 0;
        await this.db
          .transaction((manager) => this.rollouts.releaseLease(manager, token, id, delayMs))
          .catch((error: unknown) => this.logger.warn({ err: error, rolloutId: id }, 'could not release a rollout lease'));
        if (!this.rounds.stopped && outcome === 'done') this.kick();
      });
    this.running.set(id, { controller, done, token });
  }
}
