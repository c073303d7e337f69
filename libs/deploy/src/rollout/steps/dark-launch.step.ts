import { setTimeout as sleep } from 'node:timers/promises';
import { Inject, Injectable, Optional } from '@nestjs/common';
import { parseDurationMs } from '@switchyard/config';
import { AppError } from '@switchyard/errors';
import { darkLaunchVerdict, type DarkLaunchVerdict, type RouteReport } from '@switchyard/mirror';
import { KubeApiError, type KubeClient } from '../../kubernetes/kube-client';
import { DEPLOYMENT, type KubeObject } from '../../kubernetes/kube-resources';
import type { WaitOutcome } from '../../kubernetes/rollout-waiter';
import { RELEASE_ANNOTATION, TRACK_LABEL, type EnvironmentPlan } from '../../kubernetes/manifest-set';
import type { Rollout } from '../rollout.entity';
import { RolloutCluster, summary } from '../rollout-cluster';
import { RolloutInterrupts } from '../rollout-interrupts';
import { environmentOf, ROLLOUT_ACTOR, RolloutRecorder } from '../rollout-recorder';
import { MIRROR_CONTROL, ReplayRefusal, type MirrorChangeContext, type MirrorControl } from './mirror-control';
import type { StepAbortResult, StepContext, StepHandler, StepResult } from '../step-handler';
import type { DarkLaunchSpec } from '../../pipeline/pipeline-spec';

const SERVICE = { apiVersion: 'v1', kind: 'Service' } as const;

/** Marks the shadow's pods and Service; the only label its selectors use, so no user-facing Service can share them. */
export const SHADOW_OF_LABEL = 'switchyard.dev/shadow-of';

/** How often the window's report is read while mirroring (proxies report every few seconds). */
const POLL_MS = 1000;

/** `RolloutStep.detail` of a dark-launch step: the loop contract's shape, plus `window` (the report window's id). */
// A type, not an interface: it is stored as the step's detail, a plain record.
export type DarkLaunchDetail = {
  route: string;
  shadow: { deployment: string; namespace: string; url: string | null };
  sample: number;
  minCompared: number;
  maxMismatch: number;
  deadline: string;
  progress?: { compared: number; mismatched: number };
  verdict?: DarkLaunchVerdict & { reportUrl: string };
  /** The mirror report window this attempt reads; set once the shadow is live and mirroring has begun. */
  window?: string;
  errors?: number;
  /**
   * Set when the stage replays a capture instead of mirroring users: what it replays, and once the
   * replay ended how much of it was sent (all of it, unless the deadline cut it short).
   */
  replay?: { capture: string; route: string; speed: number; exchanges: number; sent?: number; durationMs?: number };
};

/**
 * Before any user traffic reaches a release: it runs as `<deployment>-shadow` (pods whose labels
 * no Service of the environment selects, behind a `<deployment>-shadow` Service of its own), the
 * mirror route's candidate points at that Service, the route's sampling flag sends a share of
 * users' requests there as well, and the comparison decides. `pass` continues to the gate;
 * `fail` ends the release; `insufficient-data` waits for a person. Whatever the outcome, the shadow
 * is deleted and sampling goes back to 0 before the step moves on.
 *
 * With `replay:` (staging, where no users are) the server replays a recorded capture instead:
 * sampling stays where it is, the capture goes to the shadow and to the stable Service (the live
 * primary that measures noise), every comparison lands in the same window, and the same verdict
 * decides once the capture is done or the timeout ends it.
 */
@Injectable()
export class DarkLaunchStep implements StepHandler {
  readonly kind = 'dark-launch' as const;

  constructor(
    private readonly recorder: RolloutRecorder,
    private readonly cluster: RolloutCluster,
    private readonly interrupts: RolloutInterrupts,
    @Optional() @Inject(MIRROR_CONTROL) private readonly mirror?: MirrorControl,
  ) {}

  async run({ rollout, index, signal }: StepContext): Promise<StepResult> {
    const step = rollout.steps[index];
    const environment = environmentOf(rollout, step.environment);
    const spec = environment.darkLaunch;
    if (!spec) throw new Error(`environment ${environment.name} has no darkLaunch`);
    const mirror = this.mirror;
    if (!mirror) return this.fail(rollout, index, 'this server has no mirror (MIRROR_CONTROL is not provided), so nothing can be dark-launched');
    const client = this.cluster.kubernetes();
    const primary = this.cluster.primary(environment);
    const shadowName = `${primary.metadata.name}-shadow`;
    let detail = step.detail as DarkLaunchDetail | null;
    let freshWindow = false;

    if (!detail?.window) {
      const live = await client.get({ ...DEPLOYMENT, namespace: environment.namespace, name: primary.metadata.name });
      if (!live)
        return this.skip(
          rollout,
          index,
          `no live Deployment ${primary.metadata.name} in ${environment.namespace} yet: first deploy, no live traffic to mirror`,
        );
      const stable = this.stableService(environment, primary);
      if (!stable) {
        return this.fail(
          rollout,
          index,
          `no Service of ${environment.name} selects Deployment ${primary.metadata.name}'s pods, so there is no live traffic to mirror; add one to the manifests`,
        );
      }
      let replay: DarkLaunchDetail['replay'];
      if (spec.replay) {
        // A capture that is not there fails the stage before anything is deployed.
        const inspected = await this.inspectCapture(mirror, spec);
        if (typeof inspected === 'string') return this.fail(rollout, index, inspected);
        replay = inspected;
      }
      detail = {
        route: spec.route,
        shadow: { deployment: shadowName, namespace: environment.namespace, url: null },
        sample: spec.replay ? 100 : spec.sample,
        ...(replay ? { replay } : {}),
        minCompared: spec.minCompared,
        maxMismatch: spec.maxMismatch,
        deadline: new Date(Date.now() + timeoutMs(spec.timeout)).toISOString(),
      };
      await this.recorder.changeStep(rollout.id, index, { status: 'running', start: step.startedAt === null, message: `deploying ${shadowName}`, detail });
      const liveServices = (await client.list({ ...SERVICE, namespace: environment.namespace })).items;
      const { deployment, service } = shadowOf(primary, stable, [...environment.objects.filter((o) => o.kind === 'Service'), ...liveServices]);
      const applied = [await client.apply(deployment), await client.apply(service)];
      const interrupt = this.interrupts.interruptible(rollout.id, signal);
      let outcome: WaitOutcome;
      try {
        outcome = await this.cluster.waitFor(
          client,
          rollout.id,
          index,
          { ...environment, objects: [...environment.objects, deployment] },
          shadowName,
          interrupt.signal,
        );
      } finally {
        interrupt.dispose();
      }
      if (!outcome.ok) {
        if (outcome.reason === 'Aborted') return interrupt.reason() === 'shutdown' ? 'stop' : 'continue';
        await this.deleteShadow(client, rollout, environment);
        return this.fail(rollout, index, `shadow ${shadowName} did not become ready: ${outcome.message}`);
      }
      const shadowUrl = serviceUrl(service);
      const stableUrl = serviceUrl(stable);
      const context = this.changeContext(rollout, environment);
      try {
        await mirror.ensureRoute({ route: spec.route, primary: stableUrl, minCompared: spec.minCompared, maxMismatchPercent: spec.maxMismatch }, context);
        await mirror.setCandidate(spec.route, shadowUrl, context);
        const window = await mirror.openWindow(spec.route);
        // The window opens before sampling rises, so every comparison with this shadow lands in it.
        // A replay sends no user's requests: sampling stays where the route has it.
        if (!spec.replay) await mirror.setSampling(spec.route, spec.sample, context);
        detail = { ...detail, shadow: { ...detail.shadow, url: shadowUrl }, window, deadline: new Date(Date.now() + timeoutMs(spec.timeout)).toISOString() };
      } catch (error) {
        // Refused input (a route whose targets the egress policy forbids, a flag environment that
        // does not exist) fails the stage with the refusal; anything else is retried.
        if (!(error instanceof AppError && error.status < 500)) throw error;
        await this.cleanUpAttempt(client, rollout, environment, null);
        return this.fail(rollout, index, `mirror route ${spec.route} could not be set up: ${error.message}`);
      }
      const started = detail;
      freshWindow = true;
      await this.recorder.changeStep(
        rollout.id,
        index,
        {
          message: started.replay
            ? `replaying ${started.replay.exchanges} captured exchanges of ${started.replay.capture} to ${shadowName} at ${started.replay.speed}× until ${started.deadline}`
            : `mirroring ${spec.sample} % of users on route ${spec.route} to ${shadowName} until ${started.deadline}`,
          detail: started,
        },
        {},
        (r) => [
          this.recorder.event(r, 'rollout.dark-launch.started', environment.name, {
            actor: ROLLOUT_ACTOR,
            after: {
              route: spec.route,
              shadow: started.shadow,
              sample: spec.sample,
              minCompared: spec.minCompared,
              maxMismatch: spec.maxMismatch,
              deadline: started.deadline,
              ...(started.replay ? { replay: { capture: started.replay.capture, speed: started.replay.speed } } : {}),
            },
            meta: { namespace: environment.namespace, objects: applied.map(summary) },
          }),
        ],
      );
    }

    if (spec.replay && !detail.verdict) {
      const replayed = await this.replayCapture(mirror, rollout, index, spec, detail, freshWindow, signal);
      if (typeof replayed === 'string') return replayed;
      detail = replayed;
    }
    const window = detail.window as string;
    while (!detail.verdict) {
      const report = await mirror.report(spec.route, window);
      const compared = report?.totals.compared ?? 0;
      const mismatched = report?.totals.mismatched.afterNoise ?? 0;
      // A replay is decided once it ended (the whole capture, or the deadline); live mirroring once enough arrived.
      if (spec.replay || compared >= spec.minCompared || Date.now() >= Date.parse(detail.deadline)) {
        const setting = spec.replay ? { route: spec.route, sample: 100, timeout: spec.timeout } : spec;
        let verdict = darkLaunchVerdict(report ?? emptyReport(spec.route), { minCompared: spec.minCompared, maxMismatchPercent: spec.maxMismatch }, setting);
        if (detail.replay && verdict.outcome === 'insufficient-data') verdict = { ...verdict, reason: replayShortfall(verdict.compared, spec, detail.replay) };
        // Recorded before the clean-up, so a restart in between decides nothing anew.
        detail = { ...detail, progress: { compared, mismatched }, verdict: { ...verdict, reportUrl: `/dark-launch?route=${encodeURIComponent(spec.route)}` } };
        await this.recorder.changeStep(rollout.id, index, { message: `${verdict.outcome}: ${verdict.reason}; removing ${shadowName}`, detail });
        break;
      }
      if (detail.progress?.compared !== compared || detail.progress.mismatched !== mismatched) {
        detail = { ...detail, progress: { compared, mismatched } };
        await this.recorder.changeStep(rollout.id, index, {
          message: `${compared.toLocaleString('en-US')} of ${spec.minCompared.toLocaleString('en-US')} comparisons on route ${spec.route}, ${mismatched} differing`,
          detail,
        });
      }
      const slept = await this.interrupts.sleepUntil(rollout.id, Math.min(Date.now() + POLL_MS, Date.parse(detail.deadline)), signal);
      if (slept === 'shutdown') return 'stop';
      if (slept === 'abort') return 'continue';
    }

    await this.cleanUpAttempt(client, rollout, environment, window);
    return this.conclude(rollout, index, environment, detail);
  }

  async abort({ rollout, step }: StepContext): Promise<StepAbortResult> {
    const environment = environmentOf(rollout, step.environment);
    const detail = step.detail as DarkLaunchDetail | null;
    const removed = await this.cleanUpAttempt(this.cluster.kubernetes(), rollout, environment, detail?.window ?? null);
    return { notes: [...(removed ? [`shadow ${removed} deleted`] : []), ...(detail?.window ? [`sampling on route ${detail.route} back to 0`] : [])] };
  }

  /** A superseded rollout stopped mid-stage: its shadow goes, and the route stops mirroring to it. */
  async cleanUp(rollout: Rollout, name: string): Promise<void> {
    const environment = environmentOf(rollout, name);
    if (!environment.darkLaunch || !environment.primary) return;
    const step = rollout.steps.find((s) => s.kind === 'dark-launch' && s.environment === name);
    const unfinished = step && (step.status === 'running' || step.status === 'waiting' || step.status === 'pending');
    const detail = step?.detail as DarkLaunchDetail | null | undefined;
    await this.cleanUpAttempt(this.cluster.kubernetes(), rollout, environment, unfinished ? (detail?.window ?? null) : null);
  }

  /** What a `replay:` stage will replay, or why it cannot (one sentence for the failed stage). */
  private async inspectCapture(mirror: MirrorControl, spec: DarkLaunchSpec): Promise<NonNullable<DarkLaunchDetail['replay']> | string> {
    const replay = spec.replay as NonNullable<DarkLaunchSpec['replay']>;
    if (!mirror.inspectCapture || !mirror.replay) return 'this server cannot replay captures, so darkLaunch.replay cannot run here';
    const route = replay.route ?? spec.route;
    try {
      const { exchanges } = await mirror.inspectCapture(replay.capture, route);
      return { capture: replay.capture, route, speed: replay.speed, exchanges };
    } catch (error) {
      if (error instanceof ReplayRefusal) return error.message;
      throw error;
    }
  }

  /**
   * Replays the capture into the window, reporting progress while it runs. Bounded by the stage's
   * deadline; an abort, a newer release superseding this one or a shutdown stops it at once. After
   * a restart (the window was opened by an earlier attempt whose replay died with it) it starts
   * over in a fresh window, so nothing is counted twice.
   */
  private async replayCapture(
    mirror: MirrorControl,
    rollout: Rollout,
    index: number,
    spec: DarkLaunchSpec,
    started: DarkLaunchDetail,
    freshWindow: boolean,
    signal: AbortSignal,
  ): Promise<DarkLaunchDetail | StepResult> {
    const environment = environmentOf(rollout, rollout.steps[index].environment);
    const replay = started.replay;
    if (!replay || !mirror.replay || !started.shadow.url) return this.fail(rollout, index, 'the replay was not set up; start the release again');
    let detail = started;
    if (!freshWindow) {
      const window = await mirror.openWindow(spec.route);
      detail = { ...detail, window, progress: { compared: 0, mismatched: 0 }, deadline: new Date(Date.now() + timeoutMs(spec.timeout)).toISOString() };
      await this.recorder.changeStep(rollout.id, index, { message: `replaying ${replay.capture} again after a restart, until ${detail.deadline}`, detail });
    }
    const window = detail.window as string;
    const stop = new AbortController();
    const interrupt = this.interrupts.interruptible(rollout.id, signal);
    const onInterrupt = () => stop.abort();
    interrupt.signal.addEventListener('abort', onInterrupt, { once: true });
    const deadline = setTimeout(() => stop.abort(), Math.max(0, Date.parse(detail.deadline) - Date.now()));
    // Ends the progress poll's pending sleep once the replay is over, so no timer outlives the stage.
    const polling = new AbortController();
    const pollSignal = AbortSignal.any([stop.signal, polling.signal]);
    const running = mirror.replay(
      {
        route: spec.route,
        window,
        capture: replay.capture,
        capturedRoute: replay.route,
        speed: replay.speed,
        candidate: detail.shadow.url as string,
        primary: this.stableUrl(environment) ?? (detail.shadow.url as string),
      },
      stop.signal,
    );
    let summary;
    try {
      let ended = false;
      void running.then(
        () => (ended = true),
        () => (ended = true),
      );
      while (!ended && !stop.signal.aborted) {
        await Promise.race([running.catch(() => undefined), sleep(POLL_MS, undefined, { signal: pollSignal }).catch(() => undefined)]);
        if (ended || stop.signal.aborted) break;
        const report = await mirror.report(spec.route, window);
        const compared = report?.totals.compared ?? 0;
        const mismatched = report?.totals.mismatched.afterNoise ?? 0;
        if (detail.progress?.compared !== compared || detail.progress.mismatched !== mismatched) {
          detail = { ...detail, progress: { compared, mismatched } };
          await this.recorder.changeStep(rollout.id, index, {
            message: `${compared.toLocaleString('en-US')} comparisons replayed from ${replay.capture} on route ${spec.route}, ${mismatched} differing`,
            detail,
          });
        }
      }
      summary = await running;
    } catch (error) {
      if (!(error instanceof ReplayRefusal)) throw error;
      await this.cleanUpAttempt(this.cluster.kubernetes(), rollout, environment, window);
      return this.fail(rollout, index, `replaying ${replay.capture} failed: ${error.message}`);
    } finally {
      clearTimeout(deadline);
      polling.abort();
      interrupt.signal.removeEventListener('abort', onInterrupt);
      interrupt.dispose();
    }
    const why = interrupt.reason();
    if (why) return why === 'shutdown' ? 'stop' : 'continue';
    return { ...detail, replay: { ...replay, sent: summary.sent, durationMs: Math.round(summary.durationMs) } };
  }

  private stableUrl(environment: EnvironmentPlan): string | undefined {
    const stable = this.stableService(environment, this.cluster.primary(environment));
    return stable ? serviceUrl(stable) : undefined;
  }

  private async conclude(rollout: Rollout, index: number, environment: EnvironmentPlan, detail: DarkLaunchDetail): Promise<StepResult> {
    const verdict = detail.verdict as NonNullable<DarkLaunchDetail['verdict']>;
    const verdictEvent = (r: Rollout) =>
      this.recorder.event(r, 'rollout.dark-launch.verdict', environment.name, {
        actor: ROLLOUT_ACTOR,
        after: {
          verdict: verdict.outcome,
          reason: verdict.reason,
          compared: verdict.compared,
          mismatchPercent: verdict.mismatchPercent,
          endpoints: verdict.endpoints,
          route: detail.route,
          reportUrl: verdict.reportUrl,
        },
      });
    const message = `${verdict.outcome}: ${verdict.reason}`;
    const notifyVerdict = (r: Rollout) =>
      this.recorder.notify(
        r,
        'rollout.dark-launch.verdict',
        environment.name,
        `${rollout.service} ${rollout.version} dark launch in ${environment.name}: ${message}`,
        {
          verdict,
          route: detail.route,
        },
      );
    switch (verdict.outcome) {
      case 'pass': {
        const updated = await this.recorder.changeStep(
          rollout.id,
          index,
          { status: 'succeeded', finish: true, message, detail },
          { currentStep: index + 1 },
          (r) => [verdictEvent(r)],
        );
        notifyVerdict(updated);
        return 'continue';
      }
      case 'insufficient-data': {
        const updated = await this.recorder.changeStep(rollout.id, index, { status: 'waiting', message, detail }, { status: 'waiting' }, (r) => [
          verdictEvent(r),
          this.recorder.event(r, 'rollout.gate.waiting', environment.name, {
            actor: ROLLOUT_ACTOR,
            after: { step: 'dark-launch', environment: environment.name },
            meta: { kind: 'inconclusive' },
          }),
        ]);
        notifyVerdict(updated);
        this.recorder.notify(
          updated,
          'gate.waiting',
          environment.name,
          `${rollout.service} ${rollout.version}: the dark launch in ${environment.name} was inconclusive (${verdict.reason})`,
          { gate: 'inconclusive', step: 'dark-launch', verdict },
        );
        return 'stop';
      }
      case 'fail': {
        const error = `dark launch in ${environment.name} failed: ${verdict.reason}`;
        const updated = await this.recorder.changeStep(
          rollout.id,
          index,
          { status: 'failed', finish: true, message, detail },
          { status: 'failed', error, finished: true },
          (r) => [verdictEvent(r), this.recorder.event(r, 'rollout.failed', environment.name, { actor: ROLLOUT_ACTOR, after: { status: 'failed', error } })],
          (manager) => this.recorder.rollouts.unlock(manager, rollout.id),
        );
        this.recorder.metrics.rolloutFinished(rollout.service, rollout.kind, 'failed');
        notifyVerdict(updated);
        this.recorder.notify(updated, 'rollout.failed', environment.name, `${rollout.service} ${rollout.version} failed in ${environment.name}: ${error}`, {
          error,
        });
        return 'stop';
      }
    }
  }

  /** The stage could not run (nothing to mirror, refused set-up): the release stops here, before any user traffic. */
  private async fail(rollout: Rollout, index: number, reason: string): Promise<StepResult> {
    const step = rollout.steps[index];
    const error = `dark launch in ${step.environment} failed: ${reason}`;
    const updated = await this.recorder.changeStep(
      rollout.id,
      index,
      { status: 'failed', start: step.startedAt === null, finish: true, message: reason },
      { status: 'failed', error, finished: true },
      (r) => [this.recorder.event(r, 'rollout.failed', step.environment, { actor: ROLLOUT_ACTOR, after: { status: 'failed', error } })],
      (manager) => this.recorder.rollouts.unlock(manager, rollout.id),
    );
    this.recorder.metrics.rolloutFinished(rollout.service, rollout.kind, 'failed');
    this.recorder.notify(updated, 'rollout.failed', step.environment, `${rollout.service} ${rollout.version} failed in ${step.environment}: ${error}`, {
      error,
    });
    return 'stop';
  }

  private async skip(rollout: Rollout, index: number, reason: string): Promise<StepResult> {
    const step = rollout.steps[index];
    await this.recorder.changeStep(
      rollout.id,
      index,
      { status: 'skipped', start: step.startedAt === null, finish: true, message: reason },
      { currentStep: index + 1 },
      (r) => [this.recorder.event(r, 'rollout.dark-launch.skipped', step.environment, { actor: ROLLOUT_ACTOR, after: { reason } })],
    );
    return 'continue';
  }

  /** Sampling to 0 and the candidate back to the primary (when this attempt got that far), then the shadow deleted. */
  private async cleanUpAttempt(client: KubeClient, rollout: Rollout, environment: EnvironmentPlan, window: string | null): Promise<string | undefined> {
    const spec = environment.darkLaunch;
    if (spec && this.mirror && window) await this.mirror.reset(spec.route, window, this.changeContext(rollout, environment));
    return this.deleteShadow(client, rollout, environment);
  }

  /** Deletes `<primary>-shadow` (Deployment and Service) if this release put it there; its name when it was there. */
  private async deleteShadow(client: KubeClient, rollout: Rollout, environment: EnvironmentPlan): Promise<string | undefined> {
    if (!environment.primary) return undefined;
    const name = `${environment.primary}-shadow`;
    let removed: string | undefined;
    for (const kind of [DEPLOYMENT, SERVICE]) {
      const ref = { ...kind, namespace: environment.namespace, name };
      const live = await client.get(ref);
      // A newer release may own the shadow by now; never delete someone else's.
      if (!live || live.metadata.annotations?.[RELEASE_ANNOTATION] !== rollout.releaseId) continue;
      try {
        if (await client.delete(ref, { uid: live.metadata.uid, propagationPolicy: 'Background' })) removed = name;
      } catch (error) {
        if (!(error instanceof KubeApiError && error.status === 409)) throw error;
      }
    }
    return removed;
  }

  /** The environment's Service whose selector picks the primary's pods: the live path the route mirrors from. */
  private stableService(environment: EnvironmentPlan, primary: KubeObject): KubeObject | undefined {
    const labels = podLabels(primary);
    return environment.objects.find((object) => {
      if (object.kind !== 'Service') return false;
      const selector = (object.spec as { selector?: Record<string, string> } | undefined)?.selector ?? {};
      return Object.keys(selector).length > 0 && Object.entries(selector).every(([key, value]) => labels[key] === value);
    });
  }

  private changeContext(rollout: Rollout, environment: EnvironmentPlan): MirrorChangeContext {
    return {
      actor: ROLLOUT_ACTOR,
      service: rollout.service,
      environment: environment.name,
      comment: `release ${rollout.releaseId} (${rollout.version}): dark launch, covered by its approval`,
    };
  }
}

/**
 * The shadow of a Deployment: `<name>-shadow` with one replica, whose pods carry none of the label
 * keys any of `services` selects on (so no user-facing Service sends them traffic) and the shadow
 * label instead, and a `<name>-shadow` Service with the stable Service's ports selecting only them.
 * Its pods are `track=shadow`, so metrics scraped from them are never counted as the stable track's.
 */
export function shadowOf(deployment: KubeObject, stable: KubeObject, services: KubeObject[]): { deployment: KubeObject; service: KubeObject } {
  const name = `${deployment.metadata.name}-shadow`;
  const selected = new Set(services.flatMap((service) => Object.keys((service.spec as { selector?: Record<string, string> } | undefined)?.selector ?? {})));
  const strip = (labels: Record<string, string> | undefined) =>
    Object.fromEntries(Object.entries(labels ?? {}).filter(([key]) => !selected.has(key) && key !== SHADOW_OF_LABEL));
  const mark = { [SHADOW_OF_LABEL]: String(deployment.metadata.name) };
  const shadow = structuredClone(deployment);
  const spec = (shadow.spec ?? {}) as { replicas?: number; selector?: unknown; template?: { metadata?: { labels?: Record<string, string> } } };
  shadow.metadata = {
    name,
    namespace: deployment.metadata.namespace,
    labels: { ...strip(deployment.metadata.labels), [TRACK_LABEL]: 'shadow', ...mark },
    annotations: { ...(deployment.metadata.annotations ?? {}) },
  };
  spec.replicas = 1;
  spec.selector = { matchLabels: mark };
  spec.template = {
    ...(spec.template ?? {}),
    metadata: { ...(spec.template?.metadata ?? {}), labels: { ...strip(spec.template?.metadata?.labels), [TRACK_LABEL]: 'shadow', ...mark } },
  };
  shadow.spec = spec as Record<string, unknown>;
  const ports = ((stable.spec as { ports?: Array<Record<string, unknown>> } | undefined)?.ports ?? []).map((port) => {
    const { nodePort: _nodePort, ...rest } = port;
    return rest;
  });
  const service: KubeObject = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: deployment.metadata.namespace, labels: { ...mark }, annotations: { ...(deployment.metadata.annotations ?? {}) } },
    spec: { selector: mark, ports },
  };
  return { deployment: shadow, service };
}

/** `http://<service>.<namespace>.svc[:port]`: how the proxy reaches a Service in the cluster. */
export function serviceUrl(service: KubeObject): string {
  const port = (service.spec as { ports?: Array<{ port?: number }> } | undefined)?.ports?.[0]?.port ?? 80;
  return `http://${service.metadata.name}.${service.metadata.namespace}.svc${port === 80 ? '' : `:${port}`}`;
}

function podLabels(deployment: KubeObject): Record<string, string> {
  return ((deployment.spec?.template as { metadata?: { labels?: Record<string, string> } } | undefined)?.metadata?.labels ?? {}) as Record<string, string>;
}

function timeoutMs(timeout: string): number {
  return parseDurationMs(timeout) ?? 600_000;
}

/** Too few comparisons from a replay: what the person deciding can change is the capture, its speed or the timeout, not sampling. */
function replayShortfall(compared: number, spec: DarkLaunchSpec, replay: NonNullable<DarkLaunchDetail['replay']>): string {
  const sent = replay.sent ?? 0;
  const cut =
    sent < replay.exchanges
      ? `the timeout ${spec.timeout} ended it after ${sent} of ${replay.exchanges} captured exchanges`
      : `all ${replay.exchanges} captured exchanges were sent`;
  return (
    `only ${compared.toLocaleString('en-US')} of the ${spec.minCompared.toLocaleString('en-US')} comparisons needed came from replaying ${replay.capture} on route ${spec.route} ` +
    `(${cut}); record a longer capture, raise replay.speed or timeout, then approve to continue or abort`
  );
}

/** No window yet (it was never opened, or is gone): nothing was compared. */
function emptyReport(route: string): RouteReport {
  return {
    route,
    since: new Date().toISOString(),
    noiseSource: 'calibration',
    verdict: 'insufficient-data',
    thresholds: { minCompared: 0, maxMismatchPercent: 0, noise: { relativePercent: 0, absolutePercent: 0 } },
    totals: {
      seen: 0,
      sampled: 0,
      compared: 0,
      skipped: { method: 0, bodyTooLarge: 0, budget: 0, overload: 0, breaker: 0, candidateTimeout: 0, candidateError: 0, primaryIncomplete: 0 },
      mismatched: { raw: 0, afterNoise: 0 },
      mismatchRate: { raw: 0, afterNoise: 0 },
    },
    suggestedIgnores: [],
    endpoints: [],
  };
}
