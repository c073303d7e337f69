import { Injectable } from '@nestjs/common';
import { Database } from '@switchyard/persistence';
import { RolloutSignals } from './rollout-signals';
import { RolloutsRepository } from './rollouts.repository';

/** Why a wait or a sleep ended early: the replica is stopping (resume later) or someone asked to abort. */
export type Interruption = 'shutdown' | 'abort';

export interface Interrupt {
  signal: AbortSignal;
  reason(): Interruption | undefined;
  dispose(): void;
}

/**
 * Waits that a step can be pulled out of: by shutdown (the driver's signal) or by an abort request
 * for its rollout — seen in-process at once, from another replica through the database within a second.
 */
@Injectable()
export class RolloutInterrupts {
  constructor(
    private readonly db: Database,
    private readonly signals: RolloutSignals,
    private readonly rollouts: RolloutsRepository,
  ) {}

  /**
   * A signal that fires on shutdown or when an abort is requested for this rollout.
   * `shutdownOnly` for work that must finish once started (a manual rollback, the restore of an abort).
   */
  interruptible(rolloutId: string, outer: AbortSignal, shutdownOnly = false): Interrupt {
    const controller = new AbortController();
    let reason: Interruption | undefined;
    const stop = (why: Interruption) => {
      if (reason) return;
      reason = why;
      controller.abort();
    };
    const onShutdown = () => stop('shutdown');
    if (outer.aborted) stop('shutdown');
    outer.addEventListener('abort', onShutdown, { once: true });
    const unsubscribe = shutdownOnly ? () => false : this.signals.on((s) => s.kind === 'abort' && s.rolloutId === rolloutId && stop('abort'));
    const poll = shutdownOnly
      ? undefined
      : setInterval(() => {
          void this.rollouts
            .runState(this.db, rolloutId)
            .then((state) => {
              if (!state || state.status !== 'running' || state.abortRequested) stop('abort');
            })
            .catch(() => undefined);
        }, 1000);
    poll?.unref();
    return {
      signal: controller.signal,
      reason: () => reason,
      dispose: () => {
        outer.removeEventListener('abort', onShutdown);
        unsubscribe();
        if (poll) clearInterval(poll);
      },
    };
  }

  /** Sleeps until `due`, waking early for an abort or shutdown. */
  async sleepUntil(rolloutId: string, due: number, signal: AbortSignal): Promise<'due' | Interruption> {
    const interrupt = this.interruptible(rolloutId, signal);
    try {
      const remaining = due - Date.now();
      if (remaining > 0) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, remaining);
          interrupt.signal.addEventListener(
            'abort',
            () => {
              clearTimeout(timer);
              resolve();
            },
            { once: true },
          );
        });
      }
      return interrupt.reason() ?? 'due';
    } finally {
      interrupt.dispose();
    }
  }
}
