import { Injectable } from '@nestjs/common';
import type { Rollout } from '../rollout.entity';
import { RolloutCluster } from '../rollout-cluster';
import { environmentOf, ROLLOUT_ACTOR, RolloutRecorder } from '../rollout-recorder';
import type { StepAbortResult, StepContext, StepHandler, StepResult } from '../step-handler';

/**
 * Restores an environment's previous release: appended by a failed deploy (automatic), or the only
 * step of a rollout of kind 'rollback' (manual). Either way the rollout ends with it.
 */
@Injectable()
export class RollbackStep implements StepHandler {
  readonly kind = 'rollback' as const;

  constructor(
    private readonly recorder: RolloutRecorder,
    private readonly cluster: RolloutCluster,
  ) {}

  async run({ rollout, index, signal }: StepContext): Promise<StepResult> {
    const step = rollout.steps[index];
    const detail = step.detail ?? {};
    const trigger = rollout.kind === 'rollback' ? 'manual' : 'automatic';
    const environmentName = step.environment;
    const namespace = rollout.plan.rollback?.namespace ?? environmentOf(rollout, environmentName).namespace;
    if (step.status !== 'running')
      await this.recorder.changeStep(rollout.id, index, { status: 'running', start: step.startedAt === null, message: 'restoring the previous release' });
    const target =
      rollout.plan.rollback?.target ??
      (await this.recorder.db.transaction((manager) => this.recorder.rollouts.history(manager, rollout.service, environmentName, 1)))[0];
    const actor = rollout.kind === 'rollback' ? rollout.createdBy : ROLLOUT_ACTOR;
    const reason = rollout.kind === 'rollback' ? (rollout.reason ?? 'manual rollback') : String(detail.cause ?? 'automatic rollback');
    // A manual rollback is itself the way out, so only shutdown interrupts it; an automatic one yields to an abort.
    const result = await this.cluster.restore(rollout, environmentName, namespace, target, signal, rollout.kind === 'release');
    if (result.outcome === 'interrupted') return result.interruption === 'shutdown' ? 'stop' : 'continue';
    const ok = result.outcome === 'restored';
    const failedMessage = rollout.kind === 'rollback' ? result.message : String(detail.cause ?? result.message);
    const rolloutOutcome = rollout.kind === 'rollback' && ok ? 'succeeded' : 'failed';
    const updated = await this.recorder.changeStep(
      rollout.id,
      index,
      {
        status: ok ? 'succeeded' : result.outcome === 'nothing' ? 'skipped' : 'failed',
        finish: true,
        message: result.message,
        detail: { ...detail, ...(result.detail ?? {}) },
      },
      { status: rolloutOutcome, error: rolloutOutcome === 'failed' ? failedMessage : null, finished: true },
      (r) => [
        ...(ok
          ? [
              this.recorder.event(r, 'environment.rolled-back', environmentName, {
                actor,
                target: `environment:${rollout.service}/${environmentName}`,
                before: {
                  image:
                    rollout.kind === 'rollback' ? ((detail.from as { image?: string } | undefined)?.image ?? result.detail?.fromImage ?? null) : rollout.image,
                },
                after: {
                  image: target?.image ?? null,
                  imageDigest: target?.imageDigest ?? null,
                  version: target?.version ?? null,
                  releaseId: target?.releaseId ?? null,
                },
                // Which objects besides the Deployments went back, and which newer ones went away (kind/name only).
                meta: { trigger, reason, rolloutId: rollout.id, reapplied: result.detail?.reapplied ?? [], removed: result.detail?.removed ?? [] },
              }),
              this.recorder.event(r, 'rollout.rolled-back', environmentName, {
                actor,
                after: { restored: target?.version ?? null, image: target?.image ?? null },
                meta: { trigger, reason },
              }),
            ]
          : []),
        this.recorder.event(r, rolloutOutcome === 'succeeded' ? 'rollout.succeeded' : 'rollout.failed', environmentName, {
          actor,
          after: { status: rolloutOutcome, error: rolloutOutcome === 'failed' ? failedMessage : null },
        }),
      ],
      async (manager) => {
        if (ok && target) {
          await this.recorder.rollouts.recordDeployment(manager, {
            service: rollout.service,
            environment: environmentName,
            namespace,
            kind: 'rollback',
            releaseId: target.releaseId,
            rolloutId: rollout.id,
            version: target.version,
            image: target.image,
            imageDigest: target.imageDigest,
            workloads: target.workloads,
            // The same references: the Secrets' values stay in the plan of the release that applied them.
            ...(target.objects ? { objects: target.objects } : {}),
            deployedBy: actor,
            reason,
          });
        }
        await this.recorder.rollouts.unlock(manager, rollout.id);
      },
    );
    if (ok) this.recorder.metrics.rolledBack(rollout.service, environmentName, trigger);
    this.recorder.metrics.rolloutFinished(rollout.service, rollout.kind, rolloutOutcome);
    if (rollout.kind === 'release')
      this.recorder.notify(updated, 'rollout.failed', environmentName, `${rollout.service} ${rollout.version} failed in ${environmentName}: ${failedMessage}`, {
        error: failedMessage,
      });
    if (ok)
      this.recorder.notify(
        updated,
        'rollout.rolled-back',
        environmentName,
        `${rollout.service} was rolled back in ${environmentName} to ${target?.version} (${target?.image}) by ${actor}: ${reason}`,
        { trigger, reason },
      );
    else if (rollout.kind === 'rollback')
      this.recorder.notify(updated, 'rollout.failed', environmentName, `rolling ${rollout.service} back in ${environmentName} failed: ${result.message}`, {
        error: result.message,
      });
    return 'stop';
  }

  /** Aborted while restoring: finish restoring the environment's last good release. */
  async abort({ rollout, step, signal }: StepContext): Promise<StepAbortResult> {
    if (step.status !== 'running') return { notes: [] };
    return this.restoreOnAbort(rollout, step.environment, signal);
  }

  /** The environment goes back to its last good release; already aborting, so only shutdown interrupts it. */
  async restoreOnAbort(rollout: Rollout, environmentName: string, signal: AbortSignal): Promise<StepAbortResult> {
    const environment = environmentOf(rollout, environmentName);
    const target = (await this.recorder.db.transaction((manager) => this.recorder.rollouts.history(manager, rollout.service, environment.name, 1)))[0];
    const result = await this.cluster.restore(rollout, environment.name, environment.namespace, target, signal, false);
    if (result.outcome === 'interrupted') return 'interrupted';
    return { notes: [result.message], restored: result.message };
  }
}
