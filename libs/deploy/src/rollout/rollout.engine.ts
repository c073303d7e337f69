import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import type { EntityManager } from 'typeorm';
import { AuditService, type AuditEventInput } from '@switchyard/audit';
import { parseDurationMs } from '@switchyard/config';
import { LOGGER } from '@switchyard/observability';
import { Database } from '@switchyard/persistence';
import { decideVerdict, measureIteration, type AnalysisVerdict, type Measurement } from '../analysis/canary-analysis';
import { PrometheusError } from '../analysis/prometheus.client';
import { ClusterAccess } from '../kubernetes/cluster-access';
import { KubeApiError, type KubeClient } from '../kubernetes/kube-client';
import { DEPLOYMENT, NAMESPACE, REPLICA_SET, type KubeObject } from '../kubernetes/kube-resources';
import { REVISION_ANNOTATION } from '../kubernetes/deployment-status';
import { waitForRollout, type WaitOutcome } from '../kubernetes/rollout-waiter';
import { WebhookNotifier, type RolloutEvent } from '../webhooks/webhook.notifier';
import { canaryOf, RELEASE_ANNOTATION, VERSION_ANNOTATION, type EnvironmentPlan } from './manifest-set';
import type { EnvironmentDeployment, Rollout, RolloutStep } from './rollout.entity';
import { RolloutPlanner } from './rollout-planner';
import { RolloutSignals } from './rollout-signals';
import { newStep } from './rollout-steps';
import { RolloutMetrics } from './rollout.metrics';
import { RolloutsRepository, type RolloutChange } from './rollouts.repository';

/** The actor of what the platform does by itself (automatic rollbacks, verdicts). */
export const ROLLOUT_ACTOR = 'system:rollout';

type StepResult = 'continue' | 'stop';

/** The rollout ended (superseded, aborted) while a step was still working on it: the step's results no longer apply. */
class RolloutEndedError extends Error {}

/** Why a wait or a sleep ended early: the replica is stopping (resume later) or someone asked to abort. */
type Interruption = 'shutdown' | 'abort';

interface Interrupt {
  signal: AbortSignal;
  reason(): Interruption | undefined;
  dispose(): void;
}

interface StepUpdate {
  status?: RolloutStep['status'];
  message?: string | null;
  detail?: Record<string, unknown> | null;
  start?: boolean;
  finish?: boolean;
}

/** Consecutive infrastructure errors (cluster or Prometheus unreachable) a step survives before the rollout fails. */
const MAX_ATTEMPTS = 10;

/**
 * Runs a rollout's steps. Every step is idempotent (apply is server-side apply; waits re-watch;
 * analysis resumes from its recorded measurements), and every transition is persisted before the
 * next begins, so whichever replica holds the lease — this one, or another after a restart —
 * continues from the recorded step.
 */
@Injectable()
export class RolloutEngine {
  constructor(
    private readonly db: Database,
    private readonly rollouts: RolloutsRepository,
    private readonly cluster: ClusterAccess,
    private readonly planner: RolloutPlanner,
    private readonly audit: AuditService,
    private readonly notifier: WebhookNotifier,
    private readonly metrics: RolloutMetrics,
    private readonly signals: RolloutSignals,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /**
   * Drives one rollout until it waits for a person, ends, or `signal` stops it (shutdown, lost
   * lease). `retry`: an infrastructure error was recorded; try again after a pause.
   */
  async drive(id: string, signal: AbortSignal): Promise<'done' | 'retry'> {
    for (let guard = 0; guard < 500 && !signal.aborted; guard++) {
      const rollout = await this.db.transaction((manager) => this.rollouts.find(manager, id));
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
        if ((await this.runStep(rollout, rollout.currentStep, signal)) === 'stop') return 'done';
      } catch (error) {
        if (error instanceof RolloutEndedError) continue;
        if (signal.aborted) return 'done';
        await this.recordError(rollout, error);
        return 'retry';
      }
    }
    return 'done';
  }

  private async runStep(rollout: Rollout, index: number, signal: AbortSignal): Promise<StepResult> {
    const step = rollout.steps[index];
    switch (step.kind) {
      case 'gate':
        return this.enterGate(rollout, index);
      case 'deploy':
      case 'promote':
        return this.deployEnvironment(rollout, index, signal);
      case 'canary':
        return this.deployCanary(rollout, index, signal);
      case 'analysis':
        return this.analyse(rollout, index, signal);
      case 'rollback':
        return this.rollbackStep(rollout, index, signal);
    }
  }

  // ── gate ─────────────────────────────────────────────────────────────────────────────────────

  private async enterGate(rollout: Rollout, index: number): Promise<StepResult> {
    const environment = this.environment(rollout, rollout.steps[index].environment);
    let plan: unknown = null;
    let planError: string | undefined;
    try {
      plan = await this.planner.preview(this.cluster.kubernetes(), environment);
    } catch (error) {
      planError = error instanceof Error ? error.message : String(error);
    }
    const message = `waiting for approval to deploy ${rollout.version} to ${environment.name}`;
    await this.changeStep(
      rollout.id,
      index,
      { status: 'waiting', start: true, message, detail: { plan, ...(planError ? { planError } : {}) } },
      { status: 'waiting' },
      (r) => [this.event(r, 'rollout.gate.waiting', environment.name, { after: { step: 'gate', environment: environment.name }, meta: { kind: 'approval' } })],
    );
    this.notify(rollout, 'gate.waiting', environment.name, `${rollout.service} ${rollout.version} is waiting for approval to deploy to ${environment.name}`, {
      gate: 'approval',
    });
    return 'stop';
  }

  // ── deploy / promote ─────────────────────────────────────────────────────────────────────────

  private async deployEnvironment(rollout: Rollout, index: number, signal: AbortSignal): Promise<StepResult> {
    const step = rollout.steps[index];
    const environment = this.environment(rollout, step.environment);
    const client = this.cluster.kubernetes();
    await this.changeStep(rollout.id, index, {
      status: 'running',
      start: step.startedAt === null,
      message: `applying ${environment.objects.length} objects to namespace ${environment.namespace}`,
    });
    await this.ensureNamespace(client, environment.namespace);
    let applied: KubeObject[];
    try {
      applied = await this.applyAll(client, environment.objects);
    } catch (error) {
      if (error instanceof KubeApiError && isPermanent(error))
        return this.failDeploy(rollout, index, `the cluster refused the manifests: ${error.message}`, signal);
      throw error;
    }
    await this.changeStep(
      rollout.id,
      index,
      { message: `applied ${applied.length} objects; waiting for the rollout`, detail: { ...(step.detail ?? {}), applied: applied.map(summary) } },
      {},
      (r) => [
        this.event(r, 'rollout.applied', environment.name, {
          after: { objects: applied.map(summary), image: rollout.image },
          meta: { step: step.kind, namespace: environment.namespace },
        }),
      ],
    );
    const interrupt = this.interruptible(rollout.id, signal);
    let outcomes: WaitOutcome[];
    try {
      const deployments = environment.objects.filter((o) => o.kind === 'Deployment');
      outcomes = await Promise.all(deployments.map((d) => this.waitFor(client, rollout.id, index, environment, d.metadata.name, interrupt.signal)));
    } finally {
      interrupt.dispose();
    }
    const failed = outcomes.find((o): o is Extract<WaitOutcome, { ok: false }> => !o.ok);
    if (failed) {
      if (failed.reason === 'Aborted') return interrupt.reason() === 'shutdown' ? 'stop' : 'continue';
      return this.failDeploy(rollout, index, failed.message, signal, failed.pods ? { pods: failed.pods } : {});
    }
    let canaryRemoved: string | undefined;
    if (step.kind === 'promote') canaryRemoved = await this.deleteCanary(client, rollout, environment);
    const workloads = environment.objects.filter((o) => o.kind === 'Deployment');
    const action = step.kind === 'promote' ? 'rollout.promoted' : 'rollout.deployed';
    await this.changeStep(
      rollout.id,
      index,
      {
        status: 'succeeded',
        finish: true,
        message: `${environment.name} runs ${rollout.version}${canaryRemoved ? `; canary ${canaryRemoved} removed` : ''}`,
      },
      { currentStep: index + 1 },
      (r) => [
        this.event(r, action, environment.name, {
          after: { image: rollout.image, imageDigest: rollout.imageDigest, version: rollout.version },
          meta: { namespace: environment.namespace },
        }),
      ],
      (manager) =>
        this.rollouts.recordDeployment(manager, {
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
          deployedBy: rollout.createdBy,
          reason: null,
        }),
    );
    return 'continue';
  }

  /** A failed wait: the step fails, and the environment goes back to its previous release (a rollback step is appended). */
  private async failDeploy(rollout: Rollout, index: number, message: string, signal: AbortSignal, detail: Record<string, unknown> = {}): Promise<StepResult> {
    const step = rollout.steps[index];
    const environment = this.environment(rollout, step.environment);
    const client = this.cluster.kubernetes();
    if (step.kind === 'promote') await this.deleteCanary(client, rollout, environment);
    const rollbackIndex = rollout.steps.length;
    await this.changeStep(
      rollout.id,
      index,
      { status: 'failed', finish: true, message, detail: { ...(step.detail ?? {}), ...detail } },
      {},
      (r) => [this.event(r, 'rollout.step.failed', environment.name, { after: { step: step.kind, error: message } })],
      async (manager) => {
        const current = await this.rollouts.find(manager, rollout.id, true);
        if (!current) return;
        const steps = [
          ...current.steps,
          {
            ...newStep('rollback', environment.name, { trigger: 'automatic', cause: message }),
            status: 'running' as const,
            startedAt: new Date().toISOString(),
          },
        ];
        await this.rollouts.update(manager, rollout.id, { steps, currentStep: rollbackIndex });
      },
    );
    const reloaded = await this.mustLoad(rollout.id);
    return this.rollbackStep(reloaded, rollbackIndex, signal);
  }

  // ── canary ───────────────────────────────────────────────────────────────────────────────────

  private async deployCanary(rollout: Rollout, index: number, signal: AbortSignal): Promise<StepResult> {
    const step = rollout.steps[index];
    const environment = this.environment(rollout, step.environment);
    const client = this.cluster.kubernetes();
    const primary = this.primary(environment);
    const stable = await client.get({ ...DEPLOYMENT, namespace: environment.namespace, name: primary.metadata.name });
    if (!stable) {
      // Nothing to compare a canary with: the first deploy of an environment goes straight to promote.
      const reason = `no stable Deployment ${primary.metadata.name} in ${environment.namespace} yet: first deploy, nothing to compare a canary with`;
      await this.db.transaction(async (manager) => {
        const current = await this.rollouts.find(manager, rollout.id, true);
        if (!current) return;
        const now = new Date().toISOString();
        const steps = current.steps.map((s, i) =>
          i === index || i === index + 1 ? { ...s, status: 'skipped' as const, startedAt: now, finishedAt: now, durationMs: 0, message: reason } : s,
        );
        await this.rollouts.update(manager, rollout.id, { steps, currentStep: index + 2 });
        await this.audit.record(manager, this.event(current, 'rollout.canary.skipped', environment.name, { after: { reason } }));
      });
      return 'continue';
    }
    await this.changeStep(rollout.id, index, { status: 'running', start: step.startedAt === null, message: `deploying ${primary.metadata.name}-canary` });
    const canary = canaryOf(primary, environment.canary?.replicas ?? 1);
    const applied = await client.apply(canary);
    await this.changeStep(
      rollout.id,
      index,
      { detail: { deployment: canary.metadata.name, uid: applied.metadata.uid, replicas: environment.canary?.replicas ?? 1 } },
      {},
      (r) => [
        this.event(r, 'rollout.applied', environment.name, {
          after: { objects: [summary(applied)], image: rollout.image },
          meta: { step: 'canary', namespace: environment.namespace },
        }),
      ],
    );
    const interrupt = this.interruptible(rollout.id, signal);
    let outcome: WaitOutcome;
    try {
      outcome = await this.waitFor(client, rollout.id, index, environment, canary.metadata.name, interrupt.signal);
    } finally {
      interrupt.dispose();
    }
    if (!outcome.ok) {
      if (outcome.reason === 'Aborted') return interrupt.reason() === 'shutdown' ? 'stop' : 'continue';
      await this.deleteCanary(client, rollout, environment);
      await this.failCanary(
        rollout,
        index,
        `canary ${canary.metadata.name} did not become ready: ${outcome.message}`,
        outcome.pods ? { pods: outcome.pods } : {},
      );
      return 'stop';
    }
    await this.changeStep(
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

  // ── analysis ─────────────────────────────────────────────────────────────────────────────────

  private async analyse(rollout: Rollout, index: number, signal: AbortSignal): Promise<StepResult> {
    const step = rollout.steps[index];
    const environment = this.environment(rollout, step.environment);
    const spec = environment.canary?.analysis;
    if (!spec) throw new Error(`environment ${environment.name} has no analysis`);
    const intervalMs = parseDurationMs(spec.interval) ?? 60_000;
    // Without Prometheus nothing can be measured: every iteration is inconclusive and a person decides.
    const prometheus = this.cluster.hasPrometheus ? this.cluster.prometheus() : undefined;
    let startedAt = step.startedAt;
    if (step.status === 'pending' || startedAt === null) {
      const updated = await this.changeStep(rollout.id, index, {
        status: 'running',
        start: true,
        message: `first measurement in ${spec.interval}`,
        detail: { spec },
      });
      startedAt = updated.steps[index].startedAt;
    }
    const context = { service: rollout.service, environment: environment.name, namespace: environment.namespace };
    for (;;) {
      const measurements = await this.db.transaction((manager) => this.rollouts.measurements(manager, rollout.id, environment.name));
      const verdict = decideVerdict(spec, measurements);
      if (verdict) return this.conclude(rollout, index, verdict);
      const last = measurements.length ? measurements[measurements.length - 1].measuredAt : startedAt;
      const iteration = (measurements.length ? Math.max(...measurements.map((m) => m.iteration)) : 0) + 1;
      const slept = await this.sleepUntil(rollout.id, Date.parse(String(last)) + intervalMs, signal);
      if (slept === 'shutdown') return 'stop';
      if (slept === 'abort') return 'continue';
      let taken: Measurement[];
      try {
        if (!prometheus) throw new PrometheusError('PROMETHEUS_URL is not set on the server');
        taken = await measureIteration(prometheus, spec, context, iteration, signal);
      } catch (error) {
        if (signal.aborted) return 'stop';
        if (!(error instanceof PrometheusError)) throw error;
        // Prometheus being down proves nothing about the canary: the iteration is inconclusive.
        const measuredAt = new Date().toISOString();
        taken = spec.metrics.map((metric) => ({
          iteration,
          metric: metric.name,
          query: metric.query,
          canary: null,
          stable: null,
          samples: null,
          threshold: { max: metric.max, min: metric.min, maxRatio: metric.compare?.maxRatio, minSamples: spec.minSamples },
          outcome: 'inconclusive' as const,
          reason: `Prometheus error: ${error.message}`,
          measuredAt,
        }));
      }
      const line = `iteration ${iteration}/${spec.iterations}: ${taken.map((m) => `${m.outcome === 'successful' ? 'ok' : m.outcome} — ${m.reason}`).join('; ')}`;
      await this.changeStep(
        rollout.id,
        index,
        { message: line },
        {},
        () => [],
        (manager) => this.rollouts.addMeasurements(manager, rollout.id, environment.name, taken),
      );
      this.logger.info({ rolloutId: rollout.id, environment: environment.name, iteration }, line);
    }
  }

  private async conclude(rollout: Rollout, index: number, verdict: AnalysisVerdict): Promise<StepResult> {
    const environment = this.environment(rollout, rollout.steps[index].environment);
    const verdictEvent = (r: Rollout) =>
      this.event(r, 'rollout.verdict', environment.name, {
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
    this.metrics.verdict(rollout.service, environment.name, verdict.verdict);
    switch (verdict.verdict) {
      case 'Successful':
        await this.changeStep(
          rollout.id,
          index,
          { status: 'succeeded', finish: true, message: `Successful: ${verdict.reason}`, detail: { spec: environment.canary?.analysis, verdict } },
          { verdict, currentStep: index + 1 },
          (r) => [verdictEvent(r)],
        );
        return 'continue';
      case 'Inconclusive':
        await this.changeStep(
          rollout.id,
          index,
          { status: 'waiting', message: `Inconclusive: ${verdict.reason}`, detail: { spec: environment.canary?.analysis, verdict } },
          { verdict, status: 'waiting' },
          (r) => [
            verdictEvent(r),
            this.event(r, 'rollout.gate.waiting', environment.name, {
              actor: ROLLOUT_ACTOR,
              after: { step: 'analysis', environment: environment.name },
              meta: { kind: 'inconclusive' },
            }),
          ],
        );
        this.notify(
          rollout,
          'gate.waiting',
          environment.name,
          `${rollout.service} ${rollout.version}: the canary analysis in ${environment.name} is inconclusive (${verdict.reason}); approve to promote or abort to roll back`,
          { gate: 'inconclusive', verdict },
        );
        return 'stop';
      case 'Failed': {
        const client = this.cluster.kubernetes();
        await this.deleteCanary(client, rollout, environment);
        await this.failCanary(rollout, index, `Failed: ${verdict.reason}`, { verdict }, verdict);
        return 'stop';
      }
    }
  }

  /** A failed canary (analysis or readiness): the canary is already gone and the stable track was never touched. */
  private async failCanary(rollout: Rollout, index: number, message: string, detail: Record<string, unknown>, verdict?: AnalysisVerdict): Promise<void> {
    const environment = this.environment(rollout, rollout.steps[index].environment);
    const stableImage = await this.stableImage(rollout, environment);
    const rollbackMessage = `canary ${this.primary(environment).metadata.name}-canary deleted; ${environment.name} still runs ${stableImage ?? 'its previous release'}`;
    const updated = await this.changeStep(
      rollout.id,
      index,
      { status: 'failed', finish: true, message, detail: { ...(rollout.steps[index].detail ?? {}), ...detail } },
      { ...(verdict ? { verdict } : {}), status: 'failed', error: message, finished: true },
      (r) => [
        ...(verdict
          ? [
              this.event(r, 'rollout.verdict', environment.name, {
                actor: ROLLOUT_ACTOR,
                after: {
                  verdict: verdict.verdict,
                  metric: verdict.metric ?? null,
                  query: verdict.query ?? null,
                  values: verdict.values ?? null,
                  threshold: verdict.threshold ?? null,
                  reason: verdict.reason,
                },
              }),
            ]
          : []),
        this.event(r, 'rollout.rolled-back', environment.name, {
          actor: ROLLOUT_ACTOR,
          after: { action: 'canary deleted', stableImage },
          meta: { trigger: 'automatic', cause: message },
        }),
        this.event(r, 'rollout.failed', environment.name, { actor: ROLLOUT_ACTOR, after: { status: 'failed', error: message } }),
      ],
      async (manager) => {
        const current = await this.rollouts.find(manager, rollout.id, true);
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
        await this.rollouts.update(manager, rollout.id, { steps: [...current.steps, rollback], currentStep: current.steps.length });
        await this.rollouts.unlock(manager, rollout.id);
      },
    );
    this.metrics.rolledBack(rollout.service, environment.name, 'automatic');
    this.metrics.rolloutFinished(rollout.service, rollout.kind, 'failed');
    this.notify(updated, 'rollout.failed', environment.name, `${rollout.service} ${rollout.version} failed in ${environment.name}: ${message}`, {
      error: message,
    });
    this.notify(
      updated,
      'rollout.rolled-back',
      environment.name,
      `${rollout.service} ${rollout.version} was rolled back in ${environment.name}: ${rollbackMessage}`,
      { trigger: 'automatic' },
    );
  }

  // ── rollback ─────────────────────────────────────────────────────────────────────────────────

  private async rollbackStep(rollout: Rollout, index: number, signal: AbortSignal): Promise<StepResult> {
    const step = rollout.steps[index];
    const detail = step.detail ?? {};
    const trigger = rollout.kind === 'rollback' ? 'manual' : 'automatic';
    const environmentName = step.environment;
    const namespace = rollout.plan.rollback?.namespace ?? this.environment(rollout, environmentName).namespace;
    if (step.status !== 'running')
      await this.changeStep(rollout.id, index, { status: 'running', start: step.startedAt === null, message: 'restoring the previous release' });
    const target =
      rollout.plan.rollback?.target ?? (await this.db.transaction((manager) => this.rollouts.history(manager, rollout.service, environmentName, 1)))[0];
    const actor = rollout.kind === 'rollback' ? rollout.createdBy : ROLLOUT_ACTOR;
    const reason = rollout.kind === 'rollback' ? (rollout.reason ?? 'manual rollback') : String(detail.cause ?? 'automatic rollback');
    // A manual rollback is itself the way out, so only shutdown interrupts it; an automatic one yields to an abort.
    const result = await this.restore(rollout, environmentName, namespace, target, signal, rollout.kind === 'release');
    if (result.outcome === 'interrupted') return result.interruption === 'shutdown' ? 'stop' : 'continue';
    const ok = result.outcome === 'restored';
    const failedMessage = rollout.kind === 'rollback' ? result.message : String(detail.cause ?? result.message);
    const rolloutOutcome = rollout.kind === 'rollback' && ok ? 'succeeded' : 'failed';
    const updated = await this.changeStep(
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
              this.event(r, 'environment.rolled-back', environmentName, {
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
                meta: { trigger, reason, rolloutId: rollout.id },
              }),
              this.event(r, 'rollout.rolled-back', environmentName, {
                actor,
                after: { restored: target?.version ?? null, image: target?.image ?? null },
                meta: { trigger, reason },
              }),
            ]
          : []),
        this.event(r, rolloutOutcome === 'succeeded' ? 'rollout.succeeded' : 'rollout.failed', environmentName, {
          actor,
          after: { status: rolloutOutcome, error: rolloutOutcome === 'failed' ? failedMessage : null },
        }),
      ],
      async (manager) => {
        if (ok && target) {
          await this.rollouts.recordDeployment(manager, {
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
            deployedBy: actor,
            reason,
          });
        }
        await this.rollouts.unlock(manager, rollout.id);
      },
    );
    if (ok) this.metrics.rolledBack(rollout.service, environmentName, trigger);
    this.metrics.rolloutFinished(rollout.service, rollout.kind, rolloutOutcome);
    if (rollout.kind === 'release')
      this.notify(updated, 'rollout.failed', environmentName, `${rollout.service} ${rollout.version} failed in ${environmentName}: ${failedMessage}`, {
        error: failedMessage,
      });
    if (ok)
      this.notify(
        updated,
        'rollout.rolled-back',
        environmentName,
        `${rollout.service} was rolled back in ${environmentName} to ${target?.version} (${target?.image}) by ${actor}: ${reason}`,
        { trigger, reason },
      );
    else if (rollout.kind === 'rollback')
      this.notify(updated, 'rollout.failed', environmentName, `rolling ${rollout.service} back in ${environmentName} failed: ${result.message}`, {
        error: result.message,
      });
    return 'stop';
  }

  /**
   * kubectl's rollback: each Deployment gets the pod template of the ReplicaSet that ran the target
   * release (found by its images, like `rollout undo --to-revision`), falling back to the template
   * recorded with the release when that ReplicaSet has been pruned; then the usual wait.
   */
  private async restore(
    rollout: Rollout,
    environment: string,
    namespace: string,
    target: EnvironmentDeployment | undefined,
    signal: AbortSignal,
    abortable: boolean,
  ): Promise<
    { outcome: 'restored' | 'nothing' | 'failed'; message: string; detail?: Record<string, unknown> } | { outcome: 'interrupted'; interruption: Interruption }
  > {
    if (!target) return { outcome: 'nothing', message: `nothing to roll back to: ${environment} has no earlier successful release of ${rollout.service}` };
    const client = this.cluster.kubernetes();
    const sources: Array<{ deployment: string; from: string }> = [];
    let fromImage: string | null = null;
    for (const workload of target.workloads) {
      const live = await client.get({ ...DEPLOYMENT, namespace, name: workload.metadata.name });
      fromImage ??= live ? firstImage(live) : null;
      const desired = structuredClone(workload);
      desired.metadata.annotations = { ...(desired.metadata.annotations ?? {}), [RELEASE_ANNOTATION]: target.releaseId, [VERSION_ANNOTATION]: target.version };
      const replicaSet = live ? await this.replicaSetRunning(client, live, workload) : undefined;
      if (replicaSet) {
        const template = structuredClone(replicaSet.spec?.template as { metadata?: { labels?: Record<string, string> } });
        if (template.metadata?.labels) delete template.metadata.labels['pod-template-hash'];
        desired.spec = { ...(desired.spec ?? {}), template };
        sources.push({
          deployment: workload.metadata.name,
          from: `ReplicaSet ${replicaSet.metadata.name} (revision ${replicaSet.metadata.annotations?.[REVISION_ANNOTATION] ?? '?'})`,
        });
      } else sources.push({ deployment: workload.metadata.name, from: `the template recorded with release ${target.version}` });
      await client.apply(desired);
    }
    const interrupt = this.interruptible(rollout.id, signal, !abortable);
    let outcomes: WaitOutcome[];
    try {
      const environmentPlan = rollout.plan.environments.find((e) => e.name === environment);
      outcomes = await Promise.all(
        target.workloads.map((w) =>
          waitForRollout(client, namespace, w.metadata.name, { timeoutMs: waitTimeout(environmentPlan, w), signal: interrupt.signal }),
        ),
      );
    } finally {
      interrupt.dispose();
    }
    const failed = outcomes.find((o): o is Extract<WaitOutcome, { ok: false }> => !o.ok);
    const detail = {
      target: { releaseId: target.releaseId, version: target.version, image: target.image, imageDigest: target.imageDigest },
      sources,
      fromImage,
    };
    if (failed) {
      if (failed.reason === 'Aborted') return { outcome: 'interrupted', interruption: interrupt.reason() ?? 'shutdown' };
      return { outcome: 'failed', message: `rolling back to ${target.version} failed: ${failed.message}`, detail };
    }
    return { outcome: 'restored', message: `restored ${target.version} (${target.image}) from ${sources.map((s) => s.from).join(', ')}`, detail };
  }

  private async replicaSetRunning(client: KubeClient, live: KubeObject, workload: KubeObject): Promise<KubeObject | undefined> {
    const selector = Object.entries(
      ((live.spec?.selector as { matchLabels?: Record<string, string> } | undefined)?.matchLabels ?? {}) as Record<string, string>,
    )
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
    const { items } = await client.list({ ...REPLICA_SET, namespace: live.metadata.namespace }, { labelSelector: selector });
    const wanted = JSON.stringify(images(workload));
    return items
      .filter((rs) => rs.metadata.ownerReferences?.some((ref) => ref.uid === live.metadata.uid))
      .sort((a, b) => Number(b.metadata.annotations?.[REVISION_ANNOTATION] ?? 0) - Number(a.metadata.annotations?.[REVISION_ANNOTATION] ?? 0))
      .find((rs) => JSON.stringify(images(rs)) === wanted);
  }

  // ── abort, supersede, end ────────────────────────────────────────────────────────────────────

  private async abortNow(rollout: Rollout, signal: AbortSignal): Promise<void> {
    const request = rollout.abortRequested as NonNullable<Rollout['abortRequested']>;
    const index = rollout.currentStep;
    const step = rollout.steps[index];
    const client = this.cluster.kubernetes();
    const notes: string[] = [];
    if (step && ['canary', 'analysis', 'promote'].includes(step.kind)) {
      const removed = await this.deleteCanary(client, rollout, this.environment(rollout, step.environment));
      if (removed) notes.push(`canary ${removed} deleted`);
    }
    let restored: string | undefined;
    // An environment half-way through a deploy (or through an automatic rollback) goes back to its last good release.
    if (step && (step.kind === 'deploy' || step.kind === 'promote' || step.kind === 'rollback') && step.status === 'running') {
      const environment = this.environment(rollout, step.environment);
      const target = (await this.db.transaction((manager) => this.rollouts.history(manager, rollout.service, environment.name, 1)))[0];
      // Already aborting: only shutdown may interrupt this restore (the abort request would stop it at once).
      const result = await this.restore(rollout, environment.name, environment.namespace, target, signal, false);
      if (result.outcome === 'interrupted') return;
      restored = result.message;
      notes.push(result.message);
    }
    const message = `aborted by ${request.actor}: ${request.comment}${notes.length ? ` (${notes.join('; ')})` : ''}`;
    const updated = await this.db.transaction(async (manager) => {
      const current = await this.rollouts.find(manager, rollout.id, true);
      if (!current || current.status !== 'running') return current;
      const now = new Date().toISOString();
      const steps = current.steps.map((s, i) => (i === index ? finishStep(s, 'aborted', message, now) : s));
      await this.rollouts.update(manager, rollout.id, { steps, status: 'aborted', error: message, finished: true });
      await this.rollouts.unlock(manager, rollout.id);
      await this.audit.record(
        manager,
        this.event(current, 'rollout.aborted', step?.environment, {
          actor: request.actor,
          after: { status: 'aborted', step: step?.kind ?? null },
          meta: { comment: request.comment, restored: restored ?? null },
        }),
      );
      return this.rollouts.find(manager, rollout.id);
    });
    if (!updated) return;
    this.metrics.rolloutFinished(rollout.service, rollout.kind, 'aborted');
    if (step) this.observeStep(rollout.service, step, 'aborted');
    this.notify(
      updated,
      'rollout.aborted',
      step?.environment ?? null,
      `${rollout.service} ${rollout.version} was aborted by ${request.actor}: ${request.comment}`,
      { comment: request.comment },
    );
  }

  /** A superseded rollout may have left its canary behind; remove it unless it is now someone else's. */
  private async cleanUp(rollout: Rollout): Promise<void> {
    for (const environment of rollout.plan.environments) {
      if (environment.canary && environment.primary) await this.deleteCanary(this.cluster.kubernetes(), rollout, environment);
    }
    await this.db.transaction((manager) => this.rollouts.update(manager, rollout.id, { cleanupPending: false }));
  }

  private async finish(rollout: Rollout, outcome: 'succeeded' | 'failed', error: string | null): Promise<void> {
    const updated = await this.db.transaction(async (manager) => {
      await this.rollouts.update(manager, rollout.id, { status: outcome, error, finished: true });
      await this.rollouts.unlock(manager, rollout.id);
      const current = (await this.rollouts.find(manager, rollout.id)) as Rollout;
      await this.audit.record(
        manager,
        this.event(current, `rollout.${outcome}`, undefined, {
          actor: ROLLOUT_ACTOR,
          after: { status: outcome, environments: rollout.plan.environments.map((e) => e.name) },
        }),
      );
      return current;
    });
    this.metrics.rolloutFinished(rollout.service, rollout.kind, outcome);
    const last = rollout.plan.environments[rollout.plan.environments.length - 1]?.name ?? null;
    this.notify(
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
      await this.changeStep(rollout.id, index, { status: 'failed', finish: true, message: `gave up after ${attempts} errors: ${message}` }, {}, () => []);
      await this.finish(rollout, 'failed', `${step.kind} in ${step.environment} failed after ${attempts} errors: ${message}`);
      return;
    }
    await this.changeStep(rollout.id, index, {
      message: `error (attempt ${attempts} of ${MAX_ATTEMPTS}, retrying): ${message}`,
      detail: { ...(step.detail ?? {}), errors: attempts },
    });
  }

  // ── helpers ──────────────────────────────────────────────────────────────────────────────────

  private environment(rollout: Rollout, name: string): EnvironmentPlan {
    const environment = rollout.plan.environments.find((e) => e.name === name);
    if (!environment) throw new Error(`rollout ${rollout.id} has no environment ${name}`);
    return environment;
  }

  private primary(environment: EnvironmentPlan): KubeObject {
    const primary = environment.objects.find((o) => o.kind === 'Deployment' && o.metadata.name === environment.primary);
    if (!primary) throw new Error(`environment ${environment.name} has no Deployment for a canary`);
    return primary;
  }

  private async mustLoad(id: string): Promise<Rollout> {
    const rollout = await this.db.transaction((manager) => this.rollouts.find(manager, id));
    if (!rollout) throw new Error(`rollout ${id} disappeared`);
    return rollout;
  }

  private async ensureNamespace(client: KubeClient, namespace: string): Promise<void> {
    try {
      if (await client.get({ ...NAMESPACE, name: namespace })) return;
    } catch (error) {
      // Without cluster-wide rights (deploy/rbac/namespaces.yaml left out) namespaces are an
      // administrator's job: go ahead, and a missing one fails the apply with the API's own message.
      if (error instanceof KubeApiError && error.status === 403) return;
      throw error;
    }
    try {
      await client.create({ ...NAMESPACE, metadata: { name: namespace, labels: { 'app.kubernetes.io/managed-by': 'switchyard' } } });
    } catch (error) {
      if (!(error instanceof KubeApiError && error.status === 409)) throw error;
    }
  }

  private async applyAll(client: KubeClient, objects: KubeObject[]): Promise<KubeObject[]> {
    const applied: KubeObject[] = [];
    for (const object of objects) applied.push(await client.apply(object));
    return applied;
  }

  private async waitFor(
    client: KubeClient,
    rolloutId: string,
    index: number,
    environment: EnvironmentPlan,
    name: string,
    signal: AbortSignal,
  ): Promise<WaitOutcome> {
    const object = environment.objects.find((o) => o.kind === 'Deployment' && o.metadata.name === name) ?? this.primary(environment);
    let lastWrite = 0;
    return waitForRollout(client, environment.namespace, name, {
      timeoutMs: waitTimeout(environment, object),
      signal,
      onProgress: (message) => {
        // Progress lines are for people watching; one write a second is plenty.
        if (Date.now() - lastWrite < 1000) return;
        lastWrite = Date.now();
        void this.changeStep(rolloutId, index, { message }).catch(() => undefined);
      },
    });
  }

  /** Deletes `<primary>-canary` if this rollout created it; returns its name when it was there. */
  private async deleteCanary(client: KubeClient, rollout: Rollout, environment: EnvironmentPlan): Promise<string | undefined> {
    if (!environment.canary || !environment.primary) return undefined;
    const name = `${environment.primary}-canary`;
    const live = await client.get({ ...DEPLOYMENT, namespace: environment.namespace, name });
    if (!live) return undefined;
    // A newer rollout may own the canary by now; never delete another release's canary.
    if (live.metadata.annotations?.[RELEASE_ANNOTATION] !== rollout.releaseId) return undefined;
    try {
      return (await client.delete({ ...DEPLOYMENT, namespace: environment.namespace, name }, { uid: live.metadata.uid, propagationPolicy: 'Background' }))
        ? name
        : undefined;
    } catch (error) {
      if (error instanceof KubeApiError && error.status === 409) return undefined;
      throw error;
    }
  }

  private async stableImage(rollout: Rollout, environment: EnvironmentPlan): Promise<string | undefined> {
    try {
      const live = await this.cluster.kubernetes().get({ ...DEPLOYMENT, namespace: environment.namespace, name: this.primary(environment).metadata.name });
      return live ? (firstImage(live) ?? undefined) : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * Sleeps until `due`, waking early for an abort (this replica's API, or another's through the
   * database, checked every second) or shutdown.
   */
  private async sleepUntil(rolloutId: string, due: number, signal: AbortSignal): Promise<'due' | Interruption> {
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

  /**
   * A signal that fires on shutdown (the driver's signal) or when an abort is requested for this
   * rollout — in-process at once, from another replica within a second. `shutdownOnly` for work
   * that must finish once started (a manual rollback, the restore of an abort).
   */
  private interruptible(rolloutId: string, outer: AbortSignal, shutdownOnly = false): Interrupt {
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
          void this.db
            .query<{ status: string; abort_requested: unknown }>(`SELECT status, abort_requested FROM rollouts WHERE id = $1`, [rolloutId])
            .then((rows) => {
              const row = rows[0];
              if (!row || row.status !== 'running' || (row.abort_requested !== null && row.abort_requested !== undefined)) stop('abort');
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

  /**
   * Changes one step (and optionally the rollout) in one transaction with its audit events, and
   * observes the step's duration when it finishes. Returns the rollout as committed.
   */
  private async changeStep(
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

  private observeStep(service: string, step: RolloutStep, outcome: string): void {
    const seconds = step.startedAt ? (Date.parse(step.finishedAt ?? new Date().toISOString()) - Date.parse(step.startedAt)) / 1000 : 0;
    this.metrics.stepFinished(service, step.environment, step.kind, outcome, seconds);
  }

  private event(rollout: Rollout, action: string, environment: string | undefined, fields: Partial<AuditEventInput>): AuditEventInput {
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

  private notify(rollout: Rollout, event: RolloutEvent, environment: string | null, text: string, detail: Record<string, unknown>): void {
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

function finishStep(step: RolloutStep, status: RolloutStep['status'], message: string, now: string): RolloutStep {
  return {
    ...step,
    status,
    message,
    finishedAt: now,
    startedAt: step.startedAt ?? now,
    durationMs: step.startedAt ? Date.parse(now) - Date.parse(step.startedAt) : 0,
  };
}

function summary(object: KubeObject): Record<string, unknown> {
  return {
    kind: object.kind,
    name: object.metadata.name,
    namespace: object.metadata.namespace ?? null,
    generation: object.metadata.generation ?? null,
    uid: object.metadata.uid ?? null,
  };
}

function images(object: KubeObject): string[] {
  const template = object.spec?.template as { spec?: { containers?: Array<{ name: string; image: string }> } } | undefined;
  return (template?.spec?.containers ?? []).map((c) => `${c.name}=${c.image}`);
}

function firstImage(object: KubeObject): string | null {
  const template = object.spec?.template as { spec?: { containers?: Array<{ image?: string }> } } | undefined;
  return template?.spec?.containers?.[0]?.image ?? null;
}

function waitTimeout(environment: EnvironmentPlan | undefined, deployment: KubeObject): number {
  const configured = environment?.timeout ? parseDurationMs(environment.timeout) : undefined;
  if (configured) return configured;
  const deadline = typeof deployment.spec?.progressDeadlineSeconds === 'number' ? deployment.spec.progressDeadlineSeconds : 600;
  return deadline * 1000 + 60_000;
}

/** 4xx answers other than conflicts and throttling will not change by retrying. */
function isPermanent(error: KubeApiError): boolean {
  return error.status >= 400 && error.status < 500 && ![408, 409, 429].includes(error.status);
}
