import { Inject, Injectable } from '@nestjs/common';
import type { Rollout, RolloutStep, StepKind } from './rollout.entity';

/** What the engine does after a handler returns. */
export type StepResult = 'continue' | 'stop';

export interface StepContext {
  /** The rollout as loaded at the start of this pass (re-load through RolloutRecorder for fresh state). */
  rollout: Rollout;
  /** Index of the step in `rollout.steps`; `step` is `rollout.steps[index]`. */
  index: number;
  step: RolloutStep;
  /** Fires on shutdown or a lost lease: stop at once, leaving the persisted state for whoever resumes. */
  signal: AbortSignal;
}

/** What aborting at a step undid, for the abort's message and audit event. */
export type StepAbortResult = { notes: string[]; restored?: string } | 'interrupted';

/**
 * One kind of rollout step. The engine claims the rollout's current step and calls `run` until a
 * handler returns 'stop' or the rollout ends.
 *
 * - `run` returns 'continue' once it has persisted a transition (usually `currentStep: index + 1`,
 *   or a terminal status) and the engine should look at the rollout again; 'stop' when the rollout
 *   waits for a person, has ended, or `signal` fired (shutdown: leave state as it is).
 * - To wait for a person, persist the step as `status: 'waiting'` and the rollout as
 *   `status: 'waiting'` (RolloutRecorder.changeStep with `{ status: 'waiting' }` as the change;
 *   the rollout's `gate` is derived from the waiting step) and return 'stop'. `RolloutsService.approve`
 *   marks the step succeeded and moves on (a flag-release step is approved in place instead: the
 *   approval lands in `rollout.decisions` and the handler goes on to its next percentage);
 *   `abort` requests an abort, which the engine carries out through the handler's `abort`.
 * - Resume after a restart: the engine calls `run` again for the recorded current step on whichever
 *   replica holds the lease. Handlers must be idempotent: keep everything they need to continue in
 *   `step.detail` (written with RolloutRecorder in the same transaction as its effects) and pick up
 *   from it (`step.startedAt`/`detail` tell a fresh step from a resumed one).
 * - Throwing is for infrastructure errors: the engine records it on the step and retries later
 *   (failing the rollout after repeated errors). Bad input is a failed step with a reason instead.
 *
 * A new stage: add a kind to STEP_KINDS (rollout.entity.ts) and stepsFor (rollout-steps.ts), write
 * `steps/<kind>.step.ts` implementing this, and list it in STEP_HANDLER_TYPES in deploy.module.ts.
 */
export interface StepHandler {
  readonly kind: StepKind;
  run(context: StepContext): Promise<StepResult>;
  /**
   * Undoes what the step left half-done when the rollout is aborted at it (delete a canary, restore
   * an environment, revert flags). 'interrupted' when shutdown stopped it: the abort is retried.
   */
  abort?(context: StepContext): Promise<StepAbortResult>;
  /** A superseded rollout's leftovers in one environment of its plan (best effort, idempotent). */
  cleanUp?(rollout: Rollout, environment: string): Promise<void>;
}

/** Nest token for the list of every StepHandler provider (see deploy.module.ts). */
export const STEP_HANDLERS = Symbol('STEP_HANDLERS');

/** The handlers by StepKind: the one place the engine finds out what a step does. */
@Injectable()
export class StepHandlerRegistry {
  private readonly byKind = new Map<StepKind, StepHandler>();

  constructor(@Inject(STEP_HANDLERS) handlers: StepHandler[]) {
    for (const handler of handlers) {
      if (this.byKind.has(handler.kind)) throw new Error(`two rollout step handlers for '${handler.kind}'`);
      this.byKind.set(handler.kind, handler);
    }
  }

  get(kind: StepKind): StepHandler {
    const handler = this.byKind.get(kind);
    if (!handler) throw new Error(`no rollout step handler for '${kind}'; register one in deploy.module.ts`);
    return handler;
  }

  all(): StepHandler[] {
    return [...this.byKind.values()];
  }
}
// READY: handlers register here
