import { Injectable } from '@nestjs/common';
import { KubeApiError } from '../../kubernetes/kube-client';
import type { KubeObject } from '../../kubernetes/kube-resources';
import type { WaitOutcome } from '../../kubernetes/rollout-waiter';
import type { EnvironmentPlan } from '../../kubernetes/manifest-set';
import { recordedObjects } from '../release-objects';
import type { Rollout } from '../rollout.entity';
import { isPermanent, RolloutCluster, summary } from '../rollout-cluster';
import { RolloutInterrupts } from '../rollout-interrupts';
import { environmentOf, RolloutRecorder } from '../rollout-recorder';
import { newStep } from '../rollout-steps';
import { RollbackStep } from './rollback.step';
import type { StepAbortResult, StepContext, StepHandler, StepResult } from '../step-handler';

/**
 * Applies an environment's manifests and waits for its Deployments. A failed wait fails the step
 * and appends an automatic rollback to the environment's previous release. PromoteStep reuses this
 * for the stable track after a canary.
 */
@Injectable()
export class DeployStep implements StepHandler {
  readonly kind: 'deploy' | 'promote' = 'deploy';

  constructor(
    protected readonly recorder: RolloutRecorder,
    protected readonly cluster: RolloutCluster,
    private readonly interrupts: RolloutInterrupts,
    private readonly rollback: RollbackStep,
  ) {}

  async run({ rollout, index, signal }: StepContext): Promise<StepResult> {
    const step = rollout.steps[index];
    const environment = environmentOf(rollout, step.environment);
    const client = this.cluster.kubernetes();
    await this.recorder.changeStep(rollout.id, index, {
      status: 'running',
      start: step.startedAt === null,
      message: `applying ${environment.objects.length} objects to namespace ${environment.namespace}`,
    });
    await this.cluster.ensureNamespace(client, environment.namespace);
    let applied: KubeObject[];
    try {
      applied = await this.cluster.applyAll(client, environment.objects);
    } catch (error) {
      if (error instanceof KubeApiError && isPermanent(error)) return this.fail(rollout, index, `the cluster refused the manifests: ${error.message}`, signal);
      throw error;
    }
    await this.recorder.changeStep(
      rollout.id,
      index,
      { message: `applied ${applied.length} objects; waiting for the rollout`, detail: { ...(step.detail ?? {}), applied: applied.map(summary) } },
      {},
      (r) => [
        this.recorder.event(r, 'rollout.applied', environment.name, {
          after: { objects: applied.map(summary), image: rollout.image },
          meta: { step: step.kind, namespace: environment.namespace },
        }),
      ],
    );
    const interrupt = this.interrupts.interruptible(rollout.id, signal);
    let outcomes: WaitOutcome[];
    try {
      const deployments = environment.objects.filter((o) => o.kind === 'Deployment');
      outcomes = await Promise.all(deployments.map((d) => this.cluster.waitFor(client, rollout.id, index, environment, d.metadata.name, interrupt.signal)));
    } finally {
      interrupt.dispose();
    }
    const failed = outcomes.find((o): o is Extract<WaitOutcome, { ok: false }> => !o.ok);
    if (failed) {
      if (failed.reason === 'Aborted') return interrupt.reason() === 'shutdown' ? 'stop' : 'continue';
      return this.fail(rollout, index, failed.message, signal, failed.pods ? { pods: failed.pods } : {});
    }
    const canaryRemoved = await this.afterReady(rollout, environment);
    const workloads = environment.objects.filter((o) => o.kind === 'Deployment');
    const action = step.kind === 'promote' ? 'rollout.promoted' : 'rollout.deployed';
    await this.recorder.changeStep(
      rollout.id,
      index,
      {
        status: 'succeeded',
        finish: true,
        message: `${environment.name} runs ${rollout.version}${canaryRemoved ? `; canary ${canaryRemoved} removed` : ''}`,
      },
      { currentStep: index + 1 },
      (r) => [
        this.recorder.event(r, action, environment.name, {
          after: { image: rollout.image, imageDigest: rollout.imageDigest, version: rollout.version },
          meta: { namespace: environment.namespace },
        }),
      ],
      (manager) =>
        this.recorder.rollouts.recordDeployment(manager, {
          service: rollout.service,
          environment: environment.name,
          namespace: environment.namespace,
          kind: 'release',
          releaseId: rollout.releaseId,
          rolloutId: rollout.id,
          version: rollout.version,
          image: rollout.image,
          imageDigest: rollout.imageDigest,
          workloads,
          objects: recordedObjects(rollout, environment),
          deployedBy: rollout.createdBy,
          reason: null,
        }),
    );
    return 'continue';
  }

  /** An environment half-way through its deploy goes back to its last good release. */
  async abort({ rollout, step, signal }: StepContext): Promise<StepAbortResult> {
    if (step.status !== 'running') return { notes: [] };
    return this.rollback.restoreOnAbort(rollout, step.environment, signal);
  }

  /** Once the environment is ready (promote removes the canary here); returns what was removed. */
  protected async afterReady(_rollout: Rollout, _environment: EnvironmentPlan): Promise<string | undefined> {
    return undefined;
  }

  /** Before the automatic rollback (promote removes the canary here). */
  protected async beforeRollback(_rollout: Rollout, _environment: EnvironmentPlan): Promise<void> {}

  /** A failed wait: the step fails, and the environment goes back to its previous release (a rollback step is appended). */
  private async fail(rollout: Rollout, index: number, message: string, signal: AbortSignal, detail: Record<string, unknown> = {}): Promise<StepResult> {
    const step = rollout.steps[index];
    const environment = environmentOf(rollout, step.environment);
    await this.beforeRollback(rollout, environment);
    const rollbackIndex = rollout.steps.length;
    await this.recorder.changeStep(
      rollout.id,
      index,
      { status: 'failed', finish: true, message, detail: { ...(step.detail ?? {}), ...detail } },
      {},
      (r) => [this.recorder.event(r, 'rollout.step.failed', environment.name, { after: { step: step.kind, error: message } })],
      async (manager) => {
        const current = await this.recorder.rollouts.find(manager, rollout.id, true);
        if (!current) return;
        const steps = [
          ...current.steps,
          {
            ...newStep('rollback', environment.name, { trigger: 'automatic', cause: message }),
            status: 'running' as const,
            startedAt: new Date().toISOString(),
          },
        ];
        await this.recorder.rollouts.update(manager, rollout.id, { steps, currentStep: rollbackIndex });
      },
    );
    const reloaded = await this.recorder.mustLoad(rollout.id);
    return this.rollback.run({ rollout: reloaded, index: rollbackIndex, step: reloaded.steps[rollbackIndex], signal });
  }
}
