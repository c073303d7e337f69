import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { Logger } from 'pino';
import { APP_CONFIG, type AppConfig } from '@switchyard/config';
import { SchedulesService } from '@switchyard/flags';
import { LOGGER, RoundLoop } from '@switchyard/observability';

/** Longest a single timer waits; beyond it the poll re-arms (setTimeout's limit is ~24.8 days). */
const MAX_TIMER_MS = 60_000;
/** A claim outlives a fire by far; a replica that dies mid-fire hands its schedule on after this. */
const LEASE_MS = 30_000;

/**
 * Fires scheduled flag changes on this replica. Every replica polls (SCHEDULE_POLL) for due
 * schedules and arms a timer for the next one it knows of, so a change fires within moments of its
 * time; the claim in SchedulesService makes sure only one replica fires it. A replica that starts
 * after a schedule's time (all were down) fires it at its first poll, late, and the audit says so.
 */
@Injectable()
export class ScheduleRunner implements OnApplicationBootstrap, OnModuleDestroy {
  readonly owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private timer?: { at: number; handle: NodeJS.Timeout };
  private readonly rounds = new RoundLoop(
    () => this.tick(),
    (error) => this.logger.warn({ err: error }, 'scheduled changes: poll failed; retrying at the next one'),
  );
  private unsubscribe?: () => void;

  constructor(
    private readonly schedules: SchedulesService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    this.unsubscribe = this.schedules.onArmed((schedule) => this.armAt(new Date(schedule.runAt).getTime()));
    this.rounds.start(Math.max(50, this.config.schedulePollMs));
  }

  async onModuleDestroy(): Promise<void> {
    const stopping = this.rounds.stop();
    this.unsubscribe?.();
    if (this.timer) clearTimeout(this.timer.handle);
    await stopping;
  }

  /** Runs a round now, or right after the current one. */
  kick(): void {
    this.rounds.kick();
  }

  private async tick(): Promise<void> {
    for (let round = 0; round < 10 && !this.rounds.stopped; round++) {
      const claimed = await this.schedules.claimDue(this.owner, LEASE_MS);
      for (const schedule of claimed) {
        const outcome = await this.schedules.fire(schedule, this.owner);
        if ('fired' in outcome) this.logger.info({ schedule: schedule.id, flag: schedule.flag, lateMs: outcome.fired.lateMs }, 'scheduled change fired');
        else if ('failed' in outcome)
          this.logger.warn({ schedule: schedule.id, flag: schedule.flag, reason: outcome.failed.failure }, 'scheduled change failed');
        else if ('retry' in outcome) this.logger.warn({ schedule: schedule.id, err: outcome.retry }, 'scheduled change not applied; retrying at the next poll');
      }
      // A full batch may mean more are due.
      if (claimed.length < 20) break;
    }
    if (this.rounds.stopped) return;
    const next = await this.schedules.nextRunAt();
    if (next) this.armAt(next.getTime());
  }

  /** Wakes the runner at `at` (ms since epoch) unless an earlier wake-up is already set. */
  private armAt(at: number): void {
    if (this.rounds.stopped) return;
    if (this.timer && this.timer.at <= at && this.timer.at > Date.now()) return;
    if (this.timer) clearTimeout(this.timer.handle);
    const delay = Math.min(MAX_TIMER_MS, Math.max(0, at - Date.now()));
    const handle = setTimeout(() => {
      this.timer = undefined;
      this.kick();
    }, delay);
    handle.unref();
    this.timer = { at: Date.now() + delay, handle };
  }
}
