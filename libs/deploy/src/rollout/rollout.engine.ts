import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { LOGGER } from '@switchyard/observability';
import type { Rollout } from './rollout.entity';
import { finishStep, ROLLOUT_ACTOR, RolloutEndedError, RolloutRecorder } from './rollout-recorder';
import { StepHandlerRegistry, type StepContext } from './step-handler';

export { ROLLOUT_ACTOR } from './rollout-recorder';

/** Consecutive infrastructure errors (cluster or Prometheus unreachable) a step survives before the rollout fails. */
const MAX_ATTEMPTS = 10;

/**
 * Drives a rollout: claims its current step, runs the step's handler (steps/*.step.ts), and
 * continues or stops. Every handler is idempotent and every transition is persisted before the
 * next begins, so whichever replica holds the lease — this one, or another after a restart —
 * continues from the recorded step. The engine itself only aborts, cleans up, finishes and
 * records errors.
 */
@Injectable()
export class RolloutEngine {
  constructor(
    private readonly recorder: RolloutRecorder,
    private readonly handlers: StepHandlerRegistry,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /**
   * Drives one rollout until it waits for a person, ends, or `signal` stops it (shutdown, lost
   * lease). `retry`: an infrastructure error was recorded; try again after a pause.
   */
  async drive(id: string, signal: AbortSignal): Promise<'done' | 'retry'> {
    for (let guard = 0; guard < 500 && !signal.aborted; guard++) {
      const rollout = await this.recorder.load(id);
      if (!rollout) return 'done';
      try {
        if (rollout.cleanupPending) {
          await this.cleanUp(rollout);
          continue;
        }
        if (rollout.status !== 'running') return 'done';
        if (rollout.abortRequested) {
          await this.abortNow(rollout, signal);
          return 'done';
        }
        const step = rollout.steps[rollout.currentStep];
        if (!step) {
          await this.finish(rollout, 'succeeded', null);
          return 'done';
        }
        const context: StepContext = { rollout, index: rollout.currentStep, step, signal };
        if ((await this.handlers.get(step.kind).run(context)) === 'stop') return 'done';
      } catch (error) {
        if (error instanceof RolloutEndedError) continue;
        if (signal.aborted) return 'done';
        await this.recordError(rollout, error);
        return 'retry';
      }
    }
    return 'done';
  }

  /** Carries out a requested abort: the current step's handler undoes what it left half-done, then the rollout ends. */
  private async abortNow(rollout: Rollout, signal: AbortSignal): Promise<void> {
    const request = rollout.abortRequested as NonNullable<Rollout['abortRequested']>;
    const index = rollout.currentStep;
    const step = rollout.steps[index];
    let notes: string[] = [];
    let restored: string | undefined;
    const handler = step ? this.handlers.get(step.kind) : undefined;
    if (step && handler?.abort) {
      const undone = await handler.abort({ rollout, index, step, signal });
      if (undone === 'interrupted') return;
      notes = undone.notes;
      restored = undone.restored;
    }
    const message = `aborted by ${request.actor}: ${request.comment}${notes.length ? ` (${notes.join('; ')})` : ''}`;
    const { db, rollouts } = this.recorder;
    const updated = await db.transaction(async (manager) => {
      const current = await rollouts.find(manager, rollout.id, true);
      if (!current || current.status !== 'running') return current;
      const now = new Date().toISOString();
      const steps = current.steps.map((s, i) => (i === index ? finishStep(s, 'aborted', message, now) : s));
      await rollouts.update(manager, rollout.id, { steps, status: 'aborted', error: message, finished: true });
      await rollouts.unlock(manager, rollout.id);
      await this.recorder.record(
        manager,
        this.recorder.event(current, 'rollout.aborted', step?.environment, {
          actor: request.actor,
          after: { status: 'aborted', step: step?.kind ?? null },
          meta: { comment: request.comment, restored: restored ?? null },
        }),
      );
      return rollouts.find(manager, rollout.id);
    });
    if (!updated) return;
    this.recorder.metrics.rolloutFinished(rollout.service, rollout.kind, 'aborted');
    if (step) this.recorder.observeStep(rollout.service, step, 'aborted');
    this.recorder.notify(
      updated,
      'rollout.aborted',
      step?.environment ?? null,
      `${rollout.service} ${rollout.version} was aborted by ${request.actor}: ${request.comment}`,
      { comment: request.comment },
    );
  }

  /** A superseded rollout may have left things behind (a canary, …): each handler tidies its own. */
  private async cleanUp(rollout: Rollout): Promise<void> {
    for (const environment of rollout.plan.environments) {
      for (const handler of this.handlers.all()) if (handler.cleanUp) await handler.cleanUp(rollout, environment.name);
    }
    await this.recorder.db.transaction((manager) => this.recorder.rollouts.update(manager, rollout.id, { cleanupPending: false }));
  }

  private async finish(rollout: Rollout, outcome: 'succeeded' | 'failed', error: string | null): Promise<void> {
    const { db, rollouts } = this.recorder;
    const updated = await db.transaction(async (manager) => {
      await rollouts.update(manager, rollout.id, { status: outcome, error, finished: true });
      await rollouts.unlock(manager, rollout.id);
      const current = (await rollouts.find(manager, rollout.id)) as Rollout;
      await this.recorder.record(
        manager,
        this.recorder.event(current, `rollout.${outcome}`, undefined, {
          actor: ROLLOUT_ACTOR,
          after: { status: outcome, environments: rollout.plan.environments.map((e) => e.name) },
        }),
      );
      return current;
    });
    this.recorder.metrics.rolloutFinished(rollout.service, rollout.kind, outcome);
    const last = rollout.plan.environments[rollout.plan.environments.length - 1]?.name ?? null;
    this.recorder.notify(
      updated,
      outcome === 'succeeded' ? 'rollout.succeeded' : 'rollout.failed',
      last,
      `${rollout.service} ${rollout.version} ${outcome === 'succeeded' ? `reached ${last}` : `failed: ${error}`}`,
      {},
    );
  }

  /**
   * An infrastructure error (cluster or Prometheus unreachable, a 5xx): the step records it and the
   * driver retries on its next poll; after MAX_ATTEMPTS in a row the rollout fails.
   */
  private async recordError(rollout: Rollout, error: unknown): Promise<void> {
    const message = error instanceof Error ? error.message : String(error);
    const index = rollout.currentStep;
    const step = rollout.steps[index];
    this.logger.warn({ rolloutId: rollout.id, step: step?.kind, err: error }, 'rollout step error; will retry');
    if (!step) return;
    const attempts = Number(step.detail?.errors ?? 0) + 1;
    if (attempts >= MAX_ATTEMPTS) {
      await this.recorder.changeStep(
        rollout.id,
        index,
        { status: 'failed', finish: true, message: `gave up after ${attempts} errors: ${message}` },
        {},
        () => [],
      );
      await this.finish(rollout, 'failed', `${step.kind} in ${step.environment} failed after ${attempts} errors: ${message}`);
      return;
    }
    await this.recorder.changeStep(rollout.id, index, {
      message: `error (attempt ${attempts} of ${MAX_ATTEMPTS}, retrying): ${message}`,
      detail: { ...(step.detail ?? {}), errors: attempts },
    });
  }
}
