import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AuditService } from '@switchyard/audit';
import { AppError, ConflictError, NotFoundError, ValidationFailedError } from '@switchyard/errors';
import { FlagsService, type FlagView } from '@switchyard/flags';
import { Database } from '@switchyard/persistence';
import { ClusterAccess } from '../kubernetes/cluster-access';
import { KubeApiError } from '../kubernetes/kube-client';
import type { Release } from '../releases/release.entity';
import { ReleasesRepository } from '../releases/releases.repository';
import { imageRepository, prepareEnvironment, type EnvironmentPlan } from '../kubernetes/manifest-set';
import type {
  EnvironmentDeployment,
  EnvironmentView,
  Rollout,
  RolloutDecision,
  RolloutMeasurements,
  RolloutPlan,
  RolloutStatus,
  RolloutStep,
} from './rollout.entity';
import { withoutSecretValues } from './release-objects';
import { RolloutPlanner, type EnvironmentPreview } from './rollout-planner';
import { RolloutSignals } from './rollout-signals';
import { newStep, stepsFor } from './rollout-steps';
import { RolloutMetrics } from '../metrics/rollout.metrics';
import { RolloutsRepository } from './rollouts.repository';
import { WebhookNotifier } from '../webhooks/webhook.notifier';
import { ReleasePoliciesService } from '../releases/release-policies.service';
import { flagProblem } from './flag-release-check';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface StartOptions {
  /** Abort the rollouts holding this service's environments instead of answering 409. */
  supersede?: boolean;
}

export interface RollbackRequest {
  reason: string;
  /** A release from the environment's history; default: the previous successful one. */
  toRelease?: string;
  supersede?: boolean;
}

export interface ReleasePlan {
  releaseId: string;
  service: string;
  version: string;
  image: string;
  environments: EnvironmentPreview[];
}

/**
 * Starting, approving, aborting and rolling back rollouts — the requests people and CI make.
 * The work itself happens in RolloutEngine, driven by the server's rollout driver.
 */
@Injectable()
export class RolloutsService {
  constructor(
    private readonly db: Database,
    private readonly rollouts: RolloutsRepository,
    private readonly releases: ReleasesRepository,
    private readonly cluster: ClusterAccess,
    private readonly planner: RolloutPlanner,
    private readonly audit: AuditService,
    private readonly signals: RolloutSignals,
    private readonly metrics: RolloutMetrics,
    private readonly notifier: WebhookNotifier,
    private readonly policies: ReleasePoliciesService,
    private readonly flags: FlagsService,
  ) {}

  /**
   * Starts the rollout of a published release: takes the service's environment locks (409 when
   * another rollout holds one, unless `supersede`), freezes the plan and queues the first step.
   */
  async start(actor: string, releaseId: string, options: StartOptions = {}): Promise<Rollout> {
    this.cluster.kubernetes();
    const prepared = await this.db.transaction(async (manager) => {
      const release = await this.mustFindRelease(manager, releaseId);
      return this.prepare(manager, release);
    });
    // The server's policy, not the uploaded pipeline, decides namespaces, gates and where images come from.
    await this.policies.admit(prepared.release);
    await this.checkReleaseFlags(prepared.environments);
    const id = randomUUID();
    const superseded: Rollout[] = [];
    let rollout: Rollout;
    try {
      rollout = await this.db.transaction(async (manager) => {
        const { release, environments, image } = prepared;
        const names = environments.map((e) => e.name);
        const holders = await this.rollouts.lockHolders(manager, release.service, names);
        const holding = [...new Set(holders.map((h) => h.rolloutId))];
        if (holding.length && !options.supersede) {
          const holder = await this.rollouts.find(manager, holding[0]);
          throw lockConflict(release.service, holders[0].environment, holder);
        }
        await this.rollouts.insert(manager, {
          id,
          kind: 'release',
          releaseId: release.id,
          service: release.service,
          version: release.version,
          image,
          imageDigest: release.imageDigest,
          status: 'running',
          plan: { environments },
          steps: stepsFor(environments),
          createdBy: actor,
          reason: null,
        });
        for (const older of holding) superseded.push(await this.supersede(manager, older, id, actor, release));
        await this.rollouts.lock(manager, release.service, names, id, holding);
        const created = (await this.rollouts.find(manager, id)) as Rollout;
        await this.audit.record(manager, {
          actor,
          action: 'rollout.started',
          target: `release:${release.service}/${release.id}`,
          after: { environments: names, steps: created.steps.map((s) => `${s.kind}:${s.environment}`), image },
          meta: { rolloutId: id, service: release.service, version: release.version, imageDigest: release.imageDigest, supersedes: holding },
        });
        return created;
      });
    } catch (error) {
      // Two starts racing on PostgreSQL: the lock's primary key lets one win; the other is a plain 409.
      if ((error as { code?: string }).code === '23505' || (error as { driverError?: { code?: string } }).driverError?.code === '23505') {
        throw new ConflictError(`another rollout of ${prepared.release.service} started at the same moment; try again or pass supersede: true`);
      }
      throw error;
    }
    for (const older of superseded) this.metrics.rolloutFinished(older.service, older.kind, 'superseded');
    for (const older of superseded) this.signals.emit({ kind: 'abort', rolloutId: older.id });
    this.signals.emit({ kind: 'runnable', rolloutId: rollout.id });
    return withoutSecretValues(rollout);
  }

  /**
   * A flag release needs its flags to exist, be boolean and be defined in the environment; saying
   * so now (422 naming each flag) beats a release that fails at its last stage. The stage checks again.
   */
  private async checkReleaseFlags(environments: EnvironmentPlan[]): Promise<void> {
    const problems: Array<{ path: string; problem: string }> = [];
    for (const environment of environments) {
      for (const [j, key] of (environment.release?.flags ?? []).entries()) {
        let flag: FlagView | undefined;
        try {
          flag = await this.flags.getFlag(key);
        } catch (error) {
          if (!(error instanceof AppError && error.status === 404)) throw error;
        }
        const problem = flagProblem(flag, key, environment.name);
        if (problem) problems.push({ path: `deploy.environments[${environment.name}].release.flags[${j}]`, problem });
      }
    }
    if (problems.length) throw new ValidationFailedError(problems, `the release's flags cannot be released: ${problems.map((p) => p.problem).join('; ')}`);
  }

  async get(id: string): Promise<Rollout> {
    if (!UUID.test(id)) throw new NotFoundError('rollout', id);
    const rollout = await this.db.transaction((manager) => this.rollouts.find(manager, id));
    if (!rollout) throw new NotFoundError('rollout', id);
    return withoutSecretValues(rollout);
  }

  async forRelease(releaseId: string): Promise<Rollout> {
    return this.db.transaction(async (manager) => {
      await this.mustFindRelease(manager, releaseId);
      const rollout = await this.rollouts.latestForRelease(manager, releaseId);
      if (!rollout) throw new NotFoundError('rollout of release', releaseId);
      return withoutSecretValues(rollout);
    });
  }

  async list(filter: { service?: string; statuses?: RolloutStatus[]; limit: number }): Promise<Rollout[]> {
    return (await this.db.transaction((manager) => this.rollouts.list(manager, filter))).map(withoutSecretValues);
  }

  async measurements(id: string): Promise<RolloutMeasurements> {
    const rollout = await this.get(id);
    const all = await this.db.transaction((manager) => this.rollouts.measurements(manager, rollout.id));
    const environments = [...new Set(all.map((m) => m.environment))].map((environment) => ({
      environment,
      measurements: all.filter((m) => m.environment === environment).map(({ environment: _e, ...m }) => m),
    }));
    return { rolloutId: rollout.id, environments };
  }

  /** The release's gate (or inconclusive analysis) is passed: the rollout moves to its next step. */
  async approve(actor: string, releaseId: string, comment: string): Promise<Rollout> {
    const result = await this.db.transaction(async (manager) => {
      const rollout = await this.activeRollout(manager, releaseId);
      const holding = rollout.steps[rollout.currentStep];
      // A flag release is approved in place: the approval skips the current step's wait (or
      // settles its inconclusive verdict) and the stage goes on to its next percentage.
      if (holding?.kind === 'flag-release' && (rollout.status === 'waiting' || (holding.status === 'running' && holding.detail?.stepStartedAt))) {
        return { ...(await this.approveInPlace(manager, actor, rollout, comment)), inPlace: true };
      }
      if (rollout.status !== 'waiting') {
        const step = rollout.steps[rollout.currentStep];
        throw new ConflictError(
          `release ${releaseId} is not waiting for approval (its rollout is ${rollout.status}${step ? ` at ${step.kind} in ${step.environment}` : ''})`,
          {
            rolloutStatus: rollout.status,
          },
        );
      }
      const index = rollout.currentStep;
      const step = rollout.steps[index];
      const release = await this.mustFindRelease(manager, rollout.releaseId);
      await this.policies.checkApprover(manager, actor, {
        service: rollout.service,
        environment: step.environment,
        starters: [release.createdBy, rollout.createdBy],
      });
      const now = new Date().toISOString();
      const decision: RolloutDecision = { action: 'approve', actor, comment, environment: step.environment, step: step.kind, at: now };
      const steps = rollout.steps.map((s, i) =>
        i === index
          ? {
              ...s,
              status: 'succeeded' as const,
              finishedAt: now,
              durationMs: s.startedAt ? Date.parse(now) - Date.parse(s.startedAt) : 0,
              message: `approved by ${actor}: ${comment}${step.kind === 'analysis' ? ' (promoting despite an inconclusive analysis)' : ''}`,
            }
          : s,
      );
      await this.rollouts.update(manager, rollout.id, { steps, currentStep: index + 1, status: 'running', decisions: [...rollout.decisions, decision] });
      await this.audit.record(manager, {
        actor,
        action: 'rollout.gate.approved',
        target: `release:${rollout.service}/${rollout.releaseId}`,
        environment: step.environment,
        before: { status: 'waiting', step: step.kind },
        after: { status: 'running' },
        meta: {
          rolloutId: rollout.id,
          comment,
          gate: step.kind === 'gate' ? 'approval' : 'inconclusive',
          version: rollout.version,
          imageDigest: rollout.imageDigest,
        },
      });
      return { rollout: (await this.rollouts.find(manager, rollout.id)) as Rollout, step: steps[index], inPlace: false };
    });
    if (result.inPlace) this.signals.emit({ kind: 'approved', rolloutId: result.rollout.id });
    else this.metrics.stepFinished(result.rollout.service, result.step.environment, result.step.kind, 'succeeded', (result.step.durationMs ?? 0) / 1000);
    this.signals.emit({ kind: 'runnable', rolloutId: result.rollout.id });
    return withoutSecretValues(result.rollout);
  }

  /** Records an approval of a flag-release step without ending it; the step's handler reads it from the decisions. */
  private async approveInPlace(manager: EntityManager, actor: string, rollout: Rollout, comment: string): Promise<{ rollout: Rollout; step: RolloutStep }> {
    const index = rollout.currentStep;
    const step = rollout.steps[index];
    const release = await this.mustFindRelease(manager, rollout.releaseId);
    await this.policies.checkApprover(manager, actor, {
      service: rollout.service,
      environment: step.environment,
      starters: [release.createdBy, rollout.createdBy],
    });
    const now = new Date().toISOString();
    const decision: RolloutDecision = { action: 'approve', actor, comment, environment: step.environment, step: step.kind, at: now };
    const steps = rollout.steps.map((s, i) =>
      i === index ? { ...s, status: 'running' as const, message: `approved by ${actor}: ${comment} (next step)` } : s,
    );
    await this.rollouts.update(manager, rollout.id, { steps, status: 'running', decisions: [...rollout.decisions, decision] });
    await this.audit.record(manager, {
      actor,
      action: 'rollout.gate.approved',
      target: `release:${rollout.service}/${rollout.releaseId}`,
      environment: step.environment,
      before: { status: rollout.status, step: step.kind },
      after: { status: 'running' },
      meta: {
        rolloutId: rollout.id,
        service: rollout.service,
        comment,
        gate: rollout.status === 'waiting' ? 'inconclusive' : 'flag-release-wait',
        percent: (step.detail?.steps as number[] | undefined)?.[Number(step.detail?.stepIndex ?? 0)] ?? null,
        version: rollout.version,
        imageDigest: rollout.imageDigest,
      },
    });
    return { rollout: (await this.rollouts.find(manager, rollout.id)) as Rollout, step: steps[index] };
  }

  /**
   * Stops the release's rollout. At an approval gate nothing in the cluster changes; mid-canary the
   * canary is deleted; mid-deploy the environment goes back to its previous release (by the driver).
   */
  async abort(actor: string, releaseId: string, comment: string): Promise<Rollout> {
    const result = await this.db.transaction(async (manager) => {
      const rollout = await this.activeRollout(manager, releaseId);
      const index = rollout.currentStep;
      const step = rollout.steps[index];
      const now = new Date().toISOString();
      const decision: RolloutDecision = { action: 'abort', actor, comment, environment: step?.environment ?? '', step: step?.kind ?? 'deploy', at: now };
      const target = `release:${rollout.service}/${rollout.releaseId}`;
      if (rollout.status === 'waiting' && step?.kind === 'gate') {
        const message = `aborted by ${actor}: ${comment}`;
        const steps = rollout.steps.map((s, i) =>
          i === index
            ? { ...s, status: 'aborted' as const, finishedAt: now, durationMs: s.startedAt ? Date.parse(now) - Date.parse(s.startedAt) : 0, message }
            : s,
        );
        await this.rollouts.update(manager, rollout.id, {
          steps,
          status: 'aborted',
          error: message,
          finished: true,
          decisions: [...rollout.decisions, decision],
        });
        await this.rollouts.unlock(manager, rollout.id);
        await this.audit.record(manager, {
          actor,
          action: 'rollout.aborted',
          target,
          environment: step.environment,
          before: { status: 'waiting', step: 'gate' },
          after: { status: 'aborted' },
          meta: { rolloutId: rollout.id, comment, version: rollout.version, imageDigest: rollout.imageDigest },
        });
        return { rollout: (await this.rollouts.find(manager, rollout.id)) as Rollout, finished: steps[index], immediate: true };
      }
      if (rollout.abortRequested) return { rollout, immediate: false };
      await this.rollouts.update(manager, rollout.id, {
        abortRequested: { actor, comment, at: now },
        status: 'running',
        decisions: [...rollout.decisions, decision],
      });
      await this.audit.record(manager, {
        actor,
        action: 'rollout.abort.requested',
        target,
        environment: step?.environment,
        before: { status: rollout.status, step: step?.kind ?? null },
        meta: { rolloutId: rollout.id, comment, version: rollout.version },
      });
      return { rollout: (await this.rollouts.find(manager, rollout.id)) as Rollout, immediate: false };
    });
    if (result.immediate) {
      const { rollout } = result;
      this.metrics.rolloutFinished(rollout.service, rollout.kind, 'aborted');
      if (result.finished) this.metrics.stepFinished(rollout.service, result.finished.environment, 'gate', 'aborted', (result.finished.durationMs ?? 0) / 1000);
      this.notifier.notify({
        event: 'rollout.aborted',
        text: `${rollout.service} ${rollout.version} was aborted at the ${result.finished?.environment ?? ''} gate by ${actor}: ${comment}`,
        service: rollout.service,
        environment: result.finished?.environment ?? null,
        releaseId: rollout.releaseId,
        rolloutId: rollout.id,
        version: rollout.version,
        image: rollout.image,
        detail: { comment },
      });
    } else {
      this.signals.emit({ kind: 'abort', rolloutId: result.rollout.id });
      this.signals.emit({ kind: 'runnable', rolloutId: result.rollout.id });
    }
    return withoutSecretValues(result.rollout);
  }

  /**
   * Restores the previous successful release of a service in one environment (or `toRelease` from
   * its history), without analysis. Runs as a rollout of kind `rollback` under the environment's lock.
   */
  async rollback(actor: string, service: string, environment: string, request: RollbackRequest): Promise<Rollout> {
    this.cluster.kubernetes();
    const id = randomUUID();
    const superseded: Rollout[] = [];
    const rollout = await this.db.transaction(async (manager) => {
      const history = await this.rollouts.history(manager, service, environment);
      if (history.length === 0) throw new NotFoundError('environment', `${service}/${environment}`);
      const current = history[0];
      const target = request.toRelease
        ? history.find((entry) => entry.releaseId === request.toRelease)
        : history.find((entry) => entry.releaseId !== current.releaseId);
      if (!target) {
        throw request.toRelease
          ? new ValidationFailedError([{ path: 'toRelease', problem: `release ${request.toRelease} never ran in ${service}/${environment}` }])
          : new ConflictError(`nothing to roll back to: ${service}/${environment} has run only ${current.version}`);
      }
      const holders = await this.rollouts.lockHolders(manager, service, [environment]);
      const holding = [...new Set(holders.map((h) => h.rolloutId))];
      if (holding.length && !request.supersede) throw lockConflict(service, environment, await this.rollouts.find(manager, holding[0]));
      const plan: RolloutPlan = { environments: [], rollback: { environment, namespace: current.namespace, target } };
      await this.rollouts.insert(manager, {
        id,
        kind: 'rollback',
        releaseId: target.releaseId,
        service,
        version: target.version,
        image: target.image,
        imageDigest: target.imageDigest,
        status: 'running',
        plan,
        steps: [
          newStep('rollback', environment, { trigger: 'manual', from: { releaseId: current.releaseId, version: current.version, image: current.image } }),
        ],
        createdBy: actor,
        reason: request.reason,
      });
      const release = await this.releases.find(manager, target.releaseId);
      for (const older of holding) superseded.push(await this.supersede(manager, older, id, actor, release));
      await this.rollouts.lock(manager, service, [environment], id, holding);
      await this.audit.record(manager, {
        actor,
        action: 'environment.rollback.requested',
        target: `environment:${service}/${environment}`,
        environment,
        before: { version: current.version, image: current.image, imageDigest: current.imageDigest, releaseId: current.releaseId },
        after: { version: target.version, image: target.image, imageDigest: target.imageDigest, releaseId: target.releaseId },
        meta: { rolloutId: id, reason: request.reason },
      });
      return (await this.rollouts.find(manager, id)) as Rollout;
    });
    for (const older of superseded) this.metrics.rolloutFinished(older.service, older.kind, 'superseded');
    for (const older of superseded) this.signals.emit({ kind: 'abort', rolloutId: older.id });
    this.signals.emit({ kind: 'runnable', rolloutId: rollout.id });
    return withoutSecretValues(rollout);
  }

  async environment(service: string, environment: string): Promise<EnvironmentView> {
    return this.db.transaction(async (manager) => {
      const history = await this.rollouts.history(manager, service, environment);
      const holder = await this.rollouts.lockHolder(manager, service, environment);
      const active = holder ? await this.rollouts.find(manager, holder) : undefined;
      if (history.length === 0 && !active) throw new NotFoundError('environment', `${service}/${environment}`);
      return {
        service,
        environment,
        namespace:
          history[0]?.namespace ?? active?.plan.environments.find((e) => e.name === environment)?.namespace ?? active?.plan.rollback?.namespace ?? null,
        current: history[0] ?? null,
        history: history.map(({ workloads: _w, objects: _o, ...entry }) => entry),
        activeRollout: active
          ? { id: active.id, kind: active.kind, releaseId: active.releaseId, version: active.version, status: active.status, currentStep: active.currentStep }
          : null,
      };
    });
  }

  async environments(service: string): Promise<Array<{ environment: string; current: Omit<EnvironmentDeployment, 'workloads' | 'objects'> | null }>> {
    return this.db.transaction(async (manager) => {
      const names = await this.rollouts.environmentsOf(manager, service);
      const out: Array<{ environment: string; current: Omit<EnvironmentDeployment, 'workloads' | 'objects'> | null }> = [];
      for (const name of names) {
        const [current] = await this.rollouts.history(manager, service, name, 1);
        out.push({ environment: name, current: current ? (({ workloads: _w, objects: _o, ...entry }) => entry)(current) : null });
      }
      return out;
    });
  }

  /** The dry run: what each environment's apply would change in the cluster now, and the analysis it would run. */
  async plan(releaseId: string, environment?: string): Promise<ReleasePlan> {
    const client = this.cluster.kubernetes();
    const { release, environments, image } = await this.db.transaction(async (manager) =>
      this.prepare(manager, await this.mustFindRelease(manager, releaseId)),
    );
    const chosen = environment ? environments.filter((e) => e.name === environment) : environments;
    if (environment && chosen.length === 0) {
      throw new ValidationFailedError([
        { path: 'environment', problem: `is not an environment of ${release.service} (${environments.map((e) => e.name).join(', ')})` },
      ]);
    }
    const previews: EnvironmentPreview[] = [];
    try {
      for (const plan of chosen) previews.push(await this.planner.preview(client, plan));
    } catch (error) {
      if (error instanceof KubeApiError)
        throw new AppError('KUBERNETES_ERROR', `the Kubernetes API answered ${error.status || 'nothing'}: ${error.message}`, 502);
      throw error;
    }
    return { releaseId: release.id, service: release.service, version: release.version, image, environments: previews };
  }

  private async prepare(manager: EntityManager, release: Release): Promise<{ release: Release; environments: EnvironmentPlan[]; image: string }> {
    const spec = release.pipeline;
    if (release.status !== 'succeeded')
      throw new ConflictError(`release ${release.id} is ${release.status}; only a published release can be rolled out`, { releaseStatus: release.status });
    if (!spec?.deploy) throw new ConflictError(`release ${release.id} has no deploy section in its pipeline; there is nowhere to roll it out`);
    if (!release.imageReference && !release.imageDigest) throw new ConflictError(`release ${release.id} published no image`);
    const manifests = await this.rollouts.releaseManifests(manager, release.id);
    if (manifests.length === 0) {
      throw new ConflictError(
        `release ${release.id} was created without manifests; \`switchyard release\` uploads ${spec.deploy.manifests}/<environment>/*.yml`,
      );
    }
    const repository = release.imageReference ? imageRepository(release.imageReference) : spec.publish.repository;
    // By digest when there is one: what was tested is what runs, whatever happens to the tag.
    const image = release.imageDigest ? `${repository}@${release.imageDigest}` : (release.imageReference as string);
    const environments = spec.deploy.environments.map((environment) =>
      prepareEnvironment(spec, environment, manifests, { id: release.id, version: release.version, image }),
    );
    return { release, environments, image };
  }

  private async supersede(manager: EntityManager, olderId: string, newerId: string, actor: string, release: Release | undefined): Promise<Rollout> {
    const older = (await this.rollouts.find(manager, olderId, true)) as Rollout;
    const now = new Date().toISOString();
    const message = `superseded by ${release ? `release ${release.version} (${release.id})` : `rollout ${newerId}`}`;
    const steps = older.steps.map((s, i) =>
      i === older.currentStep && !['succeeded', 'failed', 'skipped', 'aborted'].includes(s.status)
        ? { ...s, status: 'aborted' as const, finishedAt: now, durationMs: s.startedAt ? Date.parse(now) - Date.parse(s.startedAt) : 0, message }
        : s,
    );
    const hasCanary = older.plan.environments.some((e) => e.canary);
    await this.rollouts.update(manager, olderId, {
      status: 'superseded',
      steps,
      supersededBy: newerId,
      error: message,
      cleanupPending: hasCanary,
      finished: true,
    });
    await this.audit.record(manager, {
      actor,
      action: 'rollout.superseded',
      target: `release:${older.service}/${older.releaseId}`,
      before: { status: older.status, step: older.steps[older.currentStep]?.kind ?? null },
      after: { status: 'superseded', by: newerId },
      meta: { rolloutId: older.id, supersededBy: newerId },
    });
    return older;
  }

  private async activeRollout(manager: EntityManager, releaseId: string): Promise<Rollout> {
    await this.mustFindRelease(manager, releaseId);
    const rollout = await this.rollouts.latestForRelease(manager, releaseId, true);
    if (!rollout) throw new ConflictError(`release ${releaseId} has no rollout`);
    if (rollout.status !== 'running' && rollout.status !== 'waiting') {
      throw new ConflictError(`the rollout of release ${releaseId} has ended (${rollout.status})`, { rolloutStatus: rollout.status });
    }
    return rollout;
  }

  private async mustFindRelease(manager: EntityManager, id: string): Promise<Release> {
    if (!UUID.test(id)) throw new NotFoundError('release', id);
    const release = await this.releases.find(manager, id);
    if (!release) throw new NotFoundError('release', id);
    return release;
  }
}

function lockConflict(service: string, environment: string, holder: Rollout | undefined): ConflictError {
  const step = holder?.steps[holder.currentStep];
  const what = holder
    ? `${holder.kind === 'rollback' ? 'a rollback' : `release ${holder.version} (${holder.releaseId})`}, ${holder.status}${step ? ` at ${step.kind} in ${step.environment}` : ''}`
    : 'another rollout';
  return new ConflictError(`${service}/${environment} is locked by ${what}; wait for it, abort it, or pass supersede: true`, {
    lock: { service, environment, rolloutId: holder?.id ?? null, releaseId: holder?.releaseId ?? null, status: holder?.status ?? null },
  });
}
