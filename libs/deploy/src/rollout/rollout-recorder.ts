import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AuditService, type AuditEventInput } from '@switchyard/audit';
import { Database } from '@switchyard/persistence';
import { WebhookNotifier, type RolloutEvent } from '../webhooks/webhook.notifier';
import type { EnvironmentPlan } from '../kubernetes/manifest-set';
import type { Rollout, RolloutStep } from './rollout.entity';
import { RolloutMetrics } from '../metrics/rollout.metrics';
import { RolloutsRepository, type RolloutChange } from './rollouts.repository';

/** The actor of what the platform does by itself (automatic rollbacks, verdicts). */
export const ROLLOUT_ACTOR = 'system:rollout';

/** The rollout ended (superseded, aborted) while a step was still working on it: the step's results no longer apply. */
export class RolloutEndedError extends Error {}

export interface StepUpdate {
  status?: RolloutStep['status'];
  message?: string | null;
  detail?: Record<string, unknown> | null;
  start?: boolean;
  finish?: boolean;
}

/**
 * How a rollout's progress is recorded: every step change is one transaction with its audit
 * events (and whatever else must commit with it), finished steps are observed as metrics, and
 * people are told through webhooks. Step handlers and the engine write only through this.
 */
@Injectable()
export class RolloutRecorder {
  constructor(
    readonly db: Database,
    readonly rollouts: RolloutsRepository,
    private readonly audit: AuditService,
    private readonly notifier: WebhookNotifier,
    readonly metrics: RolloutMetrics,
  ) {}

  /**
   * Changes one step (and optionally the rollout) in one transaction with its audit events, and
   * observes the step's duration when it finishes. Returns the rollout as committed.
   */
  async changeStep(
    id: string,
    index: number,
    update: StepUpdate,
    change: RolloutChange = {},
    events: (rollout: Rollout) => AuditEventInput[] = () => [],
    also?: (manager: EntityManager) => Promise<void>,
  ): Promise<Rollout> {
    let finished: RolloutStep | undefined;
    let service = '';
    const committed = await this.db.transaction(async (manager) => {
      const current = await this.rollouts.find(manager, id, true);
      if (!current) throw new Error(`rollout ${id} disappeared`);
      if (current.status !== 'running' && current.status !== 'waiting') throw new RolloutEndedError(`rollout ${id} is ${current.status}`);
      service = current.service;
      const now = new Date().toISOString();
      const steps = current.steps.map((step, i) => {
        if (i !== index) return step;
        const next: RolloutStep = { ...step };
        if (update.status) next.status = update.status;
        if (update.message !== undefined) next.message = update.message;
        if (update.detail !== undefined) next.detail = update.detail;
        if (update.start) next.startedAt = now;
        if (update.finish) {
          next.finishedAt = now;
          next.durationMs = next.startedAt ? Date.parse(now) - Date.parse(next.startedAt) : 0;
          finished = next;
        }
        return next;
      });
      await this.rollouts.update(manager, id, { ...change, steps: change.steps ?? steps });
      if (also) await also(manager);
      const updated = (await this.rollouts.find(manager, id)) as Rollout;
      for (const event of events(updated)) await this.audit.record(manager, event);
      return updated;
    });
    if (finished) this.observeStep(service, finished, finished.status);
    return committed;
  }

  /** Records audit events inside a caller's transaction (for writes that are not a step change). */
  async record(manager: EntityManager, event: AuditEventInput): Promise<void> {
    await this.audit.record(manager, event);
  }

  async load(id: string): Promise<Rollout | undefined> {
    return this.db.transaction((manager) => this.rollouts.find(manager, id));
  }

  async mustLoad(id: string): Promise<Rollout> {
    const rollout = await this.load(id);
    if (!rollout) throw new Error(`rollout ${id} disappeared`);
    return rollout;
  }

  observeStep(service: string, step: RolloutStep, outcome: string): void {
    const seconds = step.startedAt ? (Date.parse(step.finishedAt ?? new Date().toISOString()) - Date.parse(step.startedAt)) / 1000 : 0;
    this.metrics.stepFinished(service, step.environment, step.kind, outcome, seconds);
  }

  event(rollout: Rollout, action: string, environment: string | undefined, fields: Partial<AuditEventInput>): AuditEventInput {
    return {
      actor: fields.actor ?? ROLLOUT_ACTOR,
      action,
      target: fields.target ?? `release:${rollout.service}/${rollout.releaseId}`,
      environment,
      before: fields.before,
      after: fields.after,
      meta: {
        rolloutId: rollout.id,
        service: rollout.service,
        version: rollout.version,
        image: rollout.image,
        imageDigest: rollout.imageDigest,
        ...(fields.meta ?? {}),
      },
    };
  }

  notify(rollout: Rollout, event: RolloutEvent, environment: string | null, text: string, detail: Record<string, unknown>): void {
    this.notifier.notify({
      event,
      text,
      service: rollout.service,
      environment,
      releaseId: rollout.releaseId,
      rolloutId: rollout.id,
      version: rollout.version,
      image: rollout.image,
      detail,
    });
  }
}

/** The environment of a rollout's plan; a step naming one the plan lacks is a bug, not bad input. */
export function environmentOf(rollout: Rollout, name: string): EnvironmentPlan {
  const environment = rollout.plan.environments.find((e) => e.name === name);
  if (!environment) throw new Error(`rollout ${rollout.id} has no environment ${name}`);
  return environment;
}

export function finishStep(step: RolloutStep, status: RolloutStep['status'], message: string, now: string): RolloutStep {
  return {
    ...step,
    status,
    message,
    finishedAt: now,
    startedAt: step.startedAt ?? now,
    durationMs: step.startedAt ? Date.parse(now) - Date.parse(step.startedAt) : 0,
  };
}
