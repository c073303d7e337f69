import { Injectable } from '@nestjs/common';
import type { AnalysisVerdict } from '../../analysis/canary-analysis';
import { DEPLOYMENT } from '../../kubernetes/kube-resources';
import type { WaitOutcome } from '../../kubernetes/rollout-waiter';
import { canaryOf } from '../../kubernetes/manifest-set';
import type { Rollout, RolloutStep } from '../rollout.entity';
import { RolloutCluster, summary } from '../rollout-cluster';
import { RolloutInterrupts } from '../rollout-interrupts';
import { environmentOf, ROLLOUT_ACTOR, RolloutRecorder } from '../rollout-recorder';
import { newStep } from '../rollout-steps';
import type { StepAbortResult, StepContext, StepHandler, StepResult } from '../step-handler';

/**
 * Deploys `<primary>-canary` beside the stable Deployment and waits for it. The first deploy of an
 * environment has nothing to compare with, so canary and analysis are skipped straight to promote.
 */
@Injectable()
export class CanaryStep implements StepHandler {
  readonly kind = 'canary' as const;

  constructor(
    private readonly recorder: RolloutRecorder,
    private readonly cluster: RolloutCluster,
    private readonly interrupts: RolloutInterrupts,
  ) {}

  async run({ rollout, index, signal }: StepContext): Promise<StepResult> {
    const step = rollout.steps[index];
    const environment = environmentOf(rollout, step.environment);
    const client = this.cluster.kubernetes();
    const primary = this.cluster.primary(environment);
    const stable = await client.get({ ...DEPLOYMENT, namespace: environment.namespace, name: primary.metadata.name });
    if (!stable) {
      // Nothing to compare a canary with: the first deploy of an environment goes straight to promote.
      const reason = `no stable Deployment ${primary.metadata.name} in ${environment.namespace} yet: first deploy, nothing to compare a canary with`;
      await this.recorder.db.transaction(async (manager) => {
        const current = await this.recorder.rollouts.find(manager, rollout.id, true);
        if (!current) return;
        const now = new Date().toISOString();
        const steps = current.steps.map((s, i) =>
          i === index || i === index + 1 ? { ...s, status: 'skipped' as const, startedAt: now, finishedAt: now, durationMs: 0, message: reason } : s,
        );
        await this.recorder.rollouts.update(manager, rollout.id, { steps, currentStep: index + 2 });
        await this.recorder.record(manager, this.recorder.event(current, 'rollout.canary.skipped', environment.name, { after: { reason } }));
      });
      return 'continue';
    }
    await this.recorder.changeStep(rollout.id, index, {
      status: 'running',
      start: step.startedAt === null,
      message: `deploying ${primary.metadata.name}-canary`,
    });
    const canary = canaryOf(primary, environment.canary?.replicas ?? 1);
    const applied = await client.apply(canary);
    await this.recorder.changeStep(
      rollout.id,
      index,
      { detail: { deployment: canary.metadata.name, uid: applied.metadata.uid, replicas: environment.canary?.replicas ?? 1 } },
      {},
      (r) => [
        this.recorder.event(r, 'rollout.applied', environment.name, {
          after: { objects: [summary(applied)], image: rollout.image },
          meta: { step: 'canary', namespace: environment.namespace },
        }),
      ],
    );
    const interrupt = this.interrupts.interruptible(rollout.id, signal);
    let outcome: WaitOutcome;
    try {
      outcome = await this.cluster.waitFor(client, rollout.id, index, environment, canary.metadata.name, interrupt.signal);
    } finally {
      interrupt.dispose();
    }
    if (!outcome.ok) {
      if (outcome.reason === 'Aborted') return interrupt.reason() === 'shutdown' ? 'stop' : 'continue';
      await this.cluster.deleteCanary(client, rollout, environment);
      await this.fail(rollout, index, `canary ${canary.metadata.name} did not become ready: ${outcome.message}`, outcome.pods ? { pods: outcome.pods } : {});
      return 'stop';
    }
    await this.recorder.changeStep(
      rollout.id,
      index,
      {
        status: 'succeeded',
        finish: true,
        message: `${canary.metadata.name} is ready (${environment.canary?.replicas ?? 1} replica${(environment.canary?.replicas ?? 1) === 1 ? '' : 's'})`,
      },
      { currentStep: index + 1 },
    );
    return 'continue';
  }

  async abort({ rollout, step }: StepContext): Promise<StepAbortResult> {
    const removed = await this.cluster.deleteCanary(this.cluster.kubernetes(), rollout, environmentOf(rollout, step.environment));
    return { notes: removed ? [`canary ${removed} deleted`] : [] };
  }

  /** A superseded rollout may have left its canary behind; remove it unless it is now someone else's. */
  async cleanUp(rollout: Rollout, name: string): Promise<void> {
    const environment = environmentOf(rollout, name);
    if (environment.canary && environment.primary) await this.cluster.deleteCanary(this.cluster.kubernetes(), rollout, environment);
  }

  /** A failed canary (analysis or readiness): the canary is already gone and the stable track was never touched. */
  async fail(rollout: Rollout, index: number, message: string, detail: Record<string, unknown>, verdict?: AnalysisVerdict): Promise<void> {
    const environment = environmentOf(rollout, rollout.steps[index].environment);
    const stableImage = await this.cluster.stableImage(environment);
    const rollbackMessage = `canary ${this.cluster.primary(environment).metadata.name}-canary deleted; ${environment.name} still runs ${stableImage ?? 'its previous release'}`;
    const updated = await this.recorder.changeStep(
      rollout.id,
      index,
      { status: 'failed', finish: true, message, detail: { ...(rollout.steps[index].detail ?? {}), ...detail } },
      { ...(verdict ? { verdict } : {}), status: 'failed', error: message, finished: true },
      (r) => [
        ...(verdict ? [verdictEvent(this.recorder, r, environment.name, verdict)] : []),
        this.recorder.event(r, 'rollout.rolled-back', environment.name, {
          actor: ROLLOUT_ACTOR,
          after: { action: 'canary deleted', stableImage },
          meta: { trigger: 'automatic', cause: message },
        }),
        this.recorder.event(r, 'rollout.failed', environment.name, { actor: ROLLOUT_ACTOR, after: { status: 'failed', error: message } }),
      ],
      async (manager) => {
        const current = await this.recorder.rollouts.find(manager, rollout.id, true);
        if (!current) return;
        const now = new Date().toISOString();
        const rollback: RolloutStep = {
          ...newStep('rollback', environment.name, { trigger: 'automatic', cause: message, action: 'delete-canary' }),
          status: 'succeeded',
          startedAt: now,
          finishedAt: now,
          durationMs: 0,
          message: rollbackMessage,
        };
        await this.recorder.rollouts.update(manager, rollout.id, { steps: [...current.steps, rollback], currentStep: current.steps.length });
        await this.recorder.rollouts.unlock(manager, rollout.id);
      },
    );
    this.recorder.metrics.rolledBack(rollout.service, environment.name, 'automatic');
    this.recorder.metrics.rolloutFinished(rollout.service, rollout.kind, 'failed');
    this.recorder.notify(updated, 'rollout.failed', environment.name, `${rollout.service} ${rollout.version} failed in ${environment.name}: ${message}`, {
      error: message,
    });
    this.recorder.notify(
      updated,
      'rollout.rolled-back',
      environment.name,
      `${rollout.service} ${rollout.version} was rolled back in ${environment.name}: ${rollbackMessage}`,
      { trigger: 'automatic' },
    );
  }
}

/** The audit event of an analysis verdict (the canary's, or a flag release's guardrails). */
export function verdictEvent(recorder: RolloutRecorder, rollout: Rollout, environment: string, verdict: AnalysisVerdict, action = 'rollout.verdict') {
  return recorder.event(rollout, action, environment, {
    actor: ROLLOUT_ACTOR,
    after: {
      verdict: verdict.verdict,
      metric: verdict.metric ?? null,
      query: verdict.query ?? null,
      values: verdict.values ?? null,
      threshold: verdict.threshold ?? null,
      reason: verdict.reason,
    },
  });
}
