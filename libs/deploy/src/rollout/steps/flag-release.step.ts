import { Inject, Injectable } from '@nestjs/common';
import { parseDurationMs } from '@switchyard/config';
import { AppError } from '@switchyard/errors';
import { FlagsService, UsageService, type FlagView } from '@switchyard/flags';
import { decideGuardrailVerdict, guardrailQueries, measureGuardrails } from '../../analysis/guardrail-analysis';
import type { AnalysisVerdict, Measurement } from '../../analysis/canary-analysis';
import { PrometheusError } from '../../analysis/prometheus.client';
import type { FlagReleaseSpec } from '../../pipeline/pipeline-spec';
import type { EnvironmentPlan } from '../../kubernetes/manifest-set';
import type { Rollout } from '../rollout.entity';
import { RolloutCluster } from '../rollout-cluster';
import { RolloutInterrupts } from '../rollout-interrupts';
import { environmentOf, ROLLOUT_ACTOR, RolloutRecorder } from '../rollout-recorder';
import { booleanVariants, flagProblem } from '../flag-release-check';
import { RolloutSignals } from '../rollout-signals';
import type { StepAbortResult, StepContext, StepHandler, StepResult } from '../step-handler';

/** The environment config of a flag as FlagsService stores it (what `previous` records and restores). */
type FlagConfig = Pick<FlagView['environments'][string], 'enabled' | 'offVariant' | 'rules' | 'defaultServe'>;
type EnvironmentPatch = Parameters<FlagsService['patchEnvironment']>[2];

/**
 * `RolloutStep.detail` of a flag-release step: the loop contract's shape, plus `usageAtStepStart`
 * (the SDK-reported evaluation totals when the step began, to count the step's own).
 */
// A type, not an interface: it is stored as the step's detail, a plain record.
export type FlagReleaseDetail = {
  flags: string[];
  steps: number[];
  intervalMs: number;
  /** Index into `steps` of the step now held. */
  stepIndex: number;
  stepStartedAt: string | null;
  /** Each flag's environment config before the stage: what the kill switch and abort restore. */
  previous: Record<string, FlagConfig>;
  measurements: Measurement[];
  verdict?: AnalysisVerdict;
  tripped?: { flag: string; percent: number; metric: string; reason: string; at: string };
  usageAtStepStart?: Record<string, number>;
  errors?: number;
};

/** How often a hold looks for an approval made on another replica (this one's are signalled at once). */
const APPROVAL_POLL_MS = 1000;

/**
 * The flag release: once the image runs in the environment, each named boolean flag is turned on
 * for `steps[i]` percent of users (a sticky percentage rollout), held for `interval`, and judged by
 * the guardrails (the canary's analysis engine, plus SDK-reported usage). A Failed verdict is the
 * kill switch: every flag goes back to its config before the stage, and the rollout fails while
 * the image stays. Inconclusive waits for a person; approve moves to the next step (also during a
 * hold, skipping its wait); abort reverts the flags. Flag writes go through FlagsService, so they
 * are versioned, audited and published to SDKs like anyone's.
 */
@Injectable()
export class FlagReleaseStep implements StepHandler {
  readonly kind = 'flag-release' as const;

  constructor(
    private readonly recorder: RolloutRecorder,
    private readonly cluster: RolloutCluster,
    private readonly interrupts: RolloutInterrupts,
    private readonly signals: RolloutSignals,
    // Typed by what is used, injected by the services' tokens, so unit tests can pass in-memory stand-ins.
    @Inject(FlagsService) private readonly flags: Pick<FlagsService, 'getFlag' | 'patchEnvironment'>,
    @Inject(UsageService) private readonly usage: Pick<UsageService, 'forFlag'>,
  ) {}

  async run({ rollout, index, signal }: StepContext): Promise<StepResult> {
    const environment = environmentOf(rollout, rollout.steps[index].environment);
    const spec = environment.release;
    if (!spec) throw new Error(`environment ${environment.name} has no release`);
    let detail = rollout.steps[index].detail as FlagReleaseDetail | null;
    if (!detail?.previous || !detail.flags) {
      const refusal = await this.check(rollout, environment, spec);
      if (refusal) return this.refuse(rollout, index, environment, spec, refusal);
      detail = {
        flags: spec.flags,
        steps: spec.steps,
        intervalMs: parseDurationMs(spec.interval) ?? 600_000,
        stepIndex: 0,
        stepStartedAt: null,
        previous: await this.currentConfigs(spec.flags, environment.name),
        measurements: [],
      };
      await this.recorder.changeStep(rollout.id, index, {
        status: 'running',
        start: rollout.steps[index].startedAt === null,
        message: `turning on ${spec.flags.join(', ')} for ${spec.steps[0]}% of users`,
        detail,
      });
    }
    if (detail.tripped) return this.finishTrip(rollout, index, environment, detail);
    for (;;) {
      const i = detail.stepIndex;
      const percent = detail.steps[i];
      if (detail.stepStartedAt === null) {
        for (const flag of detail.flags) await this.setPercent(rollout, environment.name, flag, percent);
        const usageAtStepStart = await this.usageTotals(detail.flags, environment.name);
        const next: FlagReleaseDetail = { ...detail, stepStartedAt: new Date().toISOString(), usageAtStepStart };
        await this.recorder.changeStep(
          rollout.id,
          index,
          { status: 'running', message: `${percent}% of users (step ${i + 1} of ${detail.steps.length}); holding ${spec.interval}`, detail: next },
          {},
          (r) => [
            this.recorder.event(r, 'rollout.flag-release.step', environment.name, {
              after: { flags: detail!.flags, percent, step: i + 1, steps: detail!.steps.length },
            }),
          ],
        );
        detail = next;
      }
      const startedAt = detail.stepStartedAt as string;
      let outcome: 'due' | 'approved' | 'shutdown' | 'abort' = (await this.approvedSince(rollout.id, environment.name, startedAt)) ? 'approved' : 'due';
      if (outcome === 'due') outcome = await this.hold(rollout.id, environment.name, Date.parse(startedAt) + detail.intervalMs, startedAt, signal);
      if (outcome === 'shutdown') return 'stop';
      if (outcome === 'abort') return 'continue';
      if (outcome === 'approved') {
        const advanced = await this.advance(rollout, index, environment, detail, [], undefined);
        if (!advanced) return 'continue';
        detail = advanced;
        continue;
      }
      let taken: Measurement[];
      try {
        taken = await measureGuardrails(
          this.prometheus(),
          spec.guardrails,
          { service: rollout.service, environment: environment.name, namespace: environment.namespace, flags: detail.flags, percent },
          i,
          await this.usageDuring(detail, environment.name),
          signal,
        );
      } catch (error) {
        if (signal.aborted) return 'stop';
        // A query Prometheus refuses will not get better: revert and fail, with Prometheus's reason.
        if (error instanceof PrometheusError && error.rejected) {
          const reason = `a guardrail query was rejected by Prometheus: ${error.message}`;
          return this.trip(rollout, index, environment, detail, this.rejectedVerdict(reason, detail), {
            flag: detail.flags.join(', '),
            percent,
            metric: 'query',
            reason,
          });
        }
        throw error;
      }
      const measurements = [...detail.measurements.filter((m) => m.iteration !== i), ...taken];
      const verdict = decideGuardrailVerdict(spec.guardrails, measurements, i);
      this.recorder.metrics.guardrailVerdict(rollout.service, environment.name, verdict.verdict);
      this.notifyVerdict(rollout, environment.name, percent, verdict);
      switch (verdict.verdict) {
        case 'Failed': {
          const decisive = taken.find((m) => m.outcome === 'failed');
          return this.trip(rollout, index, environment, { ...detail, measurements }, verdict, {
            flag: decisive?.flag ?? detail.flags.join(', '),
            percent,
            metric: verdict.metric ?? decisive?.metric ?? 'guardrail',
            reason: verdict.reason,
          });
        }
        case 'Inconclusive': {
          // Approved while this step was being measured: the person has already decided.
          if (!(await this.approvedSince(rollout.id, environment.name, startedAt))) {
            await this.waitForPerson(rollout, index, environment, { ...detail, measurements, verdict }, percent);
            return 'stop';
          }
          const advanced = await this.advance(rollout, index, environment, { ...detail, measurements }, taken, undefined);
          if (!advanced) return 'continue';
          detail = advanced;
          break;
        }
        case 'Successful': {
          const advanced = await this.advance(rollout, index, environment, { ...detail, measurements }, taken, verdict);
          if (!advanced) return 'continue';
          detail = advanced;
        }
      }
    }
  }

  /** Aborted mid-stage: every flag goes back to where it was before the stage. */
  async abort({ rollout, step }: StepContext): Promise<StepAbortResult> {
    const detail = step.detail as FlagReleaseDetail | null;
    if (!detail?.previous || Object.keys(detail.previous).length === 0) return { notes: [] };
    await this.restore(rollout, step.environment, detail.previous);
    return { notes: [`${Object.keys(detail.previous).join(', ')} restored to their state before the release`] };
  }

  /**
   * A superseded rollout's half-done stage: its flags go back, unless someone (a newer release, a
   * person) has changed them since — then they are no longer this stage's to revert.
   */
  async cleanUp(rollout: Rollout, environment: string): Promise<void> {
    const step = rollout.steps.find((s) => s.kind === 'flag-release' && s.environment === environment);
    const detail = step?.detail as FlagReleaseDetail | null | undefined;
    if (!step || step.status === 'succeeded' || !detail?.previous || detail.stepStartedAt === null) return;
    const percent = detail.steps[detail.stepIndex];
    const ours: Record<string, FlagConfig> = {};
    for (const [flag, previous] of Object.entries(detail.previous)) {
      // A flag deleted since has nothing left to revert.
      const current = (await this.findFlag(flag))?.environments[environment];
      if (current && percentOn(current) === percent) ours[flag] = previous;
    }
    if (Object.keys(ours).length) await this.restore(rollout, environment, ours);
  }

  // ── checks ───────────────────────────────────────────────────────────────────────────────────

  /**
   * Why the stage cannot run (a missing or non-boolean flag, a guardrail query Prometheus rejects),
   * found before any flag is touched; undefined when it can.
   */
  private async check(rollout: Rollout, environment: EnvironmentPlan, spec: FlagReleaseSpec): Promise<string | undefined> {
    for (const key of spec.flags) {
      const problem = flagProblem(await this.findFlag(key), key, environment.name);
      if (problem) return problem;
    }
    const prometheus = this.prometheus();
    if (!prometheus) return undefined;
    const context = { service: rollout.service, environment: environment.name, namespace: environment.namespace, flags: spec.flags, percent: spec.steps[0] };
    for (const q of guardrailQueries(spec.guardrails, context)) {
      try {
        await prometheus.queryValue(q.query);
      } catch (error) {
        // Unreachable is measured (inconclusive) later; a rejected query never works.
        if (error instanceof PrometheusError && error.rejected) return `guardrail ${q.metric}: ${error.message} (query: ${q.query})`;
      }
    }
    return undefined;
  }

  private async findFlag(key: string): Promise<FlagView | undefined> {
    try {
      return await this.flags.getFlag(key);
    } catch (error) {
      if (error instanceof AppError && error.status === 404) return undefined;
      throw error;
    }
  }

  /** The stage cannot start: it fails with the reason, no flag was touched, and the image stays. */
  private async refuse(rollout: Rollout, index: number, environment: EnvironmentPlan, spec: FlagReleaseSpec, reason: string): Promise<StepResult> {
    const detail: FlagReleaseDetail = {
      flags: spec.flags,
      steps: spec.steps,
      intervalMs: parseDurationMs(spec.interval) ?? 600_000,
      stepIndex: 0,
      stepStartedAt: null,
      previous: {},
      measurements: [],
    };
    const message = `flag release refused: ${reason}; no flag was changed and ${environment.name} keeps ${rollout.version}`;
    const updated = await this.recorder.changeStep(
      rollout.id,
      index,
      { status: 'failed', start: rollout.steps[index].startedAt === null, finish: true, message, detail },
      { status: 'failed', error: message, finished: true },
      (r) => [
        this.recorder.event(r, 'rollout.step.failed', environment.name, { after: { step: 'flag-release', error: message } }),
        this.recorder.event(r, 'rollout.failed', environment.name, { actor: ROLLOUT_ACTOR, after: { status: 'failed', error: message } }),
      ],
      (manager) => this.recorder.rollouts.unlock(manager, rollout.id),
    );
    this.recorder.metrics.rolloutFinished(rollout.service, rollout.kind, 'failed');
    this.recorder.notify(updated, 'rollout.failed', environment.name, `${rollout.service} ${rollout.version} failed in ${environment.name}: ${message}`, {
      error: message,
    });
    return 'stop';
  }

  // ── transitions ──────────────────────────────────────────────────────────────────────────────

  /** The next step (its flags are set on the next pass), or the stage's end after the last one; undefined when the stage ended. */
  private async advance(
    rollout: Rollout,
    index: number,
    environment: EnvironmentPlan,
    detail: FlagReleaseDetail,
    taken: Measurement[],
    verdict: AnalysisVerdict | undefined,
  ): Promise<FlagReleaseDetail | undefined> {
    const i = detail.stepIndex;
    const percent = detail.steps[i];
    const judged = verdict ? `guardrails passed at ${percent}%` : `approved at ${percent}%`;
    if (i + 1 < detail.steps.length) {
      const next: FlagReleaseDetail = { ...detail, ...(verdict ? { verdict } : {}), stepIndex: i + 1, stepStartedAt: null, usageAtStepStart: undefined };
      await this.recorder.changeStep(rollout.id, index, {
        status: 'running',
        message: `${judged}${taken.length ? ` (${taken.map((m) => m.reason).join('; ')})` : ''}; next: ${detail.steps[i + 1]}%`,
        detail: next,
      });
      return next;
    }
    const final: AnalysisVerdict = verdict ?? {
      verdict: 'Successful',
      reason: `${detail.flags.join(', ')} reached ${percent}% (the last step approved by a person)`,
      iterations: new Set(detail.measurements.map((m) => m.iteration)).size,
      failures: 0,
      inconclusive: 0,
    };
    const message = `${detail.flags.join(', ')} on for ${percent}% of users in ${environment.name}: ${final.reason}`;
    await this.recorder.changeStep(
      rollout.id,
      index,
      { status: 'succeeded', finish: true, message, detail: { ...detail, verdict: final, usageAtStepStart: undefined } },
      { currentStep: index + 1 },
      (r) => [
        this.recorder.event(r, 'rollout.flag-release.completed', environment.name, {
          before: { flags: detail.previous },
          after: { flags: detail.flags, percent, verdict: final.verdict, reason: final.reason },
        }),
      ],
    );
    return undefined;
  }

  private async waitForPerson(rollout: Rollout, index: number, environment: EnvironmentPlan, detail: FlagReleaseDetail, percent: number): Promise<void> {
    const verdict = detail.verdict as AnalysisVerdict;
    await this.recorder.changeStep(
      rollout.id,
      index,
      { status: 'waiting', message: `Inconclusive at ${percent}%: ${verdict.reason}`, detail },
      { status: 'waiting' },
      (r) => [
        this.recorder.event(r, 'rollout.gate.waiting', environment.name, {
          after: { step: 'flag-release', environment: environment.name, percent, reason: verdict.reason },
          meta: { kind: 'inconclusive' },
        }),
      ],
    );
    this.recorder.notify(
      rollout,
      'gate.waiting',
      environment.name,
      `${rollout.service} ${rollout.version}: the guardrails of ${detail.flags.join(', ')} at ${percent}% in ${environment.name} are inconclusive (${verdict.reason}); approve to go on or abort to turn the flags back`,
      { gate: 'inconclusive', step: 'flag-release', verdict },
    );
  }

  /**
   * The kill switch. The decision is persisted first (so a restart finishes the same trip), then
   * every flag goes back to its previous config, then the rollout fails — without touching the image.
   */
  private async trip(
    rollout: Rollout,
    index: number,
    environment: EnvironmentPlan,
    detail: FlagReleaseDetail,
    verdict: AnalysisVerdict,
    what: { flag: string; percent: number; metric: string; reason: string },
  ): Promise<StepResult> {
    const tripped = { ...what, at: new Date().toISOString() };
    const decided: FlagReleaseDetail = { ...detail, verdict, tripped };
    await this.recorder.changeStep(rollout.id, index, {
      message: `guardrail tripped at ${what.percent}%: ${what.reason}; turning the flags back`,
      detail: decided,
    });
    return this.finishTrip(rollout, index, environment, decided);
  }

  private async finishTrip(rollout: Rollout, index: number, environment: EnvironmentPlan, detail: FlagReleaseDetail): Promise<StepResult> {
    const tripped = detail.tripped as NonNullable<FlagReleaseDetail['tripped']>;
    await this.restore(rollout, environment.name, detail.previous);
    const message = `guardrail tripped at ${tripped.percent}%: ${tripped.reason}; ${detail.flags.join(', ')} restored to their state before the release (${environment.name} keeps ${rollout.version})`;
    const measurement = detail.measurements.find((m) => m.iteration === detail.stepIndex && m.outcome === 'failed') ?? null;
    const updated = await this.recorder.changeStep(
      rollout.id,
      index,
      { status: 'failed', finish: true, message, detail },
      { status: 'failed', error: message, finished: true, ...(detail.verdict ? { verdict: detail.verdict } : {}) },
      (r) => [
        this.recorder.event(r, 'rollout.flag-release.tripped', environment.name, {
          before: { flags: detail.flags, percent: tripped.percent },
          after: { flags: detail.previous, tripped, measurement, verdict: detail.verdict ?? null },
        }),
        this.recorder.event(r, 'rollout.failed', environment.name, { actor: ROLLOUT_ACTOR, after: { status: 'failed', error: message } }),
      ],
      (manager) => this.recorder.rollouts.unlock(manager, rollout.id),
    );
    this.recorder.metrics.rolloutFinished(rollout.service, rollout.kind, 'failed');
    this.recorder.notify(updated, 'rollout.failed', environment.name, `${rollout.service} ${rollout.version} failed in ${environment.name}: ${message}`, {
      error: message,
      tripped,
    });
    return 'stop';
  }

  private rejectedVerdict(reason: string, detail: FlagReleaseDetail): AnalysisVerdict {
    return { verdict: 'Failed', reason, iterations: new Set(detail.measurements.map((m) => m.iteration)).size, failures: 1, inconclusive: 0 };
  }

  private notifyVerdict(rollout: Rollout, environment: string, percent: number, verdict: AnalysisVerdict): void {
    this.recorder.notify(
      rollout,
      'rollout.flag-release.verdict',
      environment,
      `${rollout.service} ${rollout.version}: flag release in ${environment} at ${percent}% — ${verdict.verdict}: ${verdict.reason}`,
      { percent, verdict },
    );
  }

  // ── waiting ──────────────────────────────────────────────────────────────────────────────────

  /**
   * Holds a step until `due`, or until someone approves (skips the wait), aborts, or the replica
   * stops. Approvals on this replica arrive as signals; another replica's within a second.
   */
  private async hold(
    rolloutId: string,
    environment: string,
    due: number,
    since: string,
    signal: AbortSignal,
  ): Promise<'due' | 'approved' | 'shutdown' | 'abort'> {
    const interrupt = this.interrupts.interruptible(rolloutId, signal);
    let timer: NodeJS.Timeout | undefined;
    let poll: NodeJS.Timeout | undefined;
    let unsubscribe: () => unknown = () => undefined;
    try {
      return await new Promise<'due' | 'approved' | 'shutdown' | 'abort'>((resolve) => {
        if (interrupt.signal.aborted) return resolve(interrupt.reason() ?? 'shutdown');
        timer = setTimeout(() => resolve('due'), Math.max(0, due - Date.now()));
        interrupt.signal.addEventListener('abort', () => resolve(interrupt.reason() ?? 'shutdown'), { once: true });
        unsubscribe = this.signals.on((s) => s.kind === 'approved' && s.rolloutId === rolloutId && (resolve('approved'), true));
        poll = setInterval(() => {
          void this.approvedSince(rolloutId, environment, since)
            .then((approved) => approved && resolve('approved'))
            .catch(() => undefined);
        }, APPROVAL_POLL_MS);
        poll.unref();
      });
    } finally {
      clearTimeout(timer);
      clearInterval(poll);
      unsubscribe();
      interrupt.dispose();
    }
  }

  /** Whether someone approved this environment's flag release since `since` (the current step's start). */
  private async approvedSince(rolloutId: string, environment: string, since: string): Promise<boolean> {
    const rollout = await this.recorder.load(rolloutId);
    return (rollout?.decisions ?? []).some((d) => d.action === 'approve' && d.step === 'flag-release' && d.environment === environment && d.at >= since);
  }

  // ── flags ────────────────────────────────────────────────────────────────────────────────────

  private writeContext(rollout: Rollout, environment: string) {
    // The release's approval covers these changes; confirmation-guarded environments are confirmed by it.
    return {
      actor: ROLLOUT_ACTOR,
      comment: `release ${rollout.releaseId}: covered by its approval`,
      confirmed: [environment],
      coveredByRelease: rollout.releaseId,
    };
  }

  /** On for `percent` % of users: a sticky rollout between the flag's true and false variants (the salt is kept across steps). */
  private async setPercent(rollout: Rollout, environment: string, key: string, percent: number): Promise<void> {
    const flag = await this.flags.getFlag(key);
    const { on, off } = booleanVariants(flag) as { on: string; off: string };
    const weight = Math.round(percent * 1000);
    await this.flags.patchEnvironment(
      key,
      environment,
      {
        enabled: true,
        defaultServe: {
          rollout: [
            { variant: on, weight },
            { variant: off, weight: 100_000 - weight },
          ],
        },
      } as EnvironmentPatch,
      this.writeContext(rollout, environment),
    );
  }

  /** Puts each flag's config back; a flag already there is left alone (no empty version). */
  private async restore(rollout: Rollout, environment: string, previous: Record<string, FlagConfig>): Promise<void> {
    for (const [key, config] of Object.entries(previous)) {
      const current = (await this.flags.getFlag(key)).environments[environment];
      if (current && sameConfig(current, config)) continue;
      await this.flags.patchEnvironment(
        key,
        environment,
        { enabled: config.enabled, offVariant: config.offVariant, rules: config.rules, defaultServe: config.defaultServe } as EnvironmentPatch,
        this.writeContext(rollout, environment),
      );
    }
  }

  private async currentConfigs(flags: string[], environment: string): Promise<Record<string, FlagConfig>> {
    const configs: Record<string, FlagConfig> = {};
    for (const key of flags) {
      const config = (await this.flags.getFlag(key)).environments[environment];
      configs[key] = { enabled: config.enabled, offVariant: config.offVariant, rules: config.rules, defaultServe: config.defaultServe };
    }
    return configs;
  }

  /** Evaluations reported by the SDKs so far, per flag, in this environment. */
  private async usageTotals(flags: string[], environment: string): Promise<Record<string, number>> {
    const totals: Record<string, number> = {};
    for (const flag of flags) {
      const { totals: rows } = await this.usage.forFlag(flag, new Date());
      totals[flag] = rows.filter((row) => row.environment === environment).reduce((sum, row) => sum + row.evaluations, 0);
    }
    return totals;
  }

  private async usageDuring(detail: FlagReleaseDetail, environment: string): Promise<Record<string, number | null>> {
    const now = await this.usageTotals(detail.flags, environment);
    return Object.fromEntries(detail.flags.map((flag) => [flag, detail.usageAtStepStart ? now[flag] - (detail.usageAtStepStart[flag] ?? 0) : null]));
  }

  private prometheus() {
    const access = this.cluster.access;
    return access.hasPrometheus ? access.prometheus() : undefined;
  }
}

/** The share of users a config serves the true variant by default, when it is this stage's kind of rollout. */
function percentOn(config: FlagConfig): number | undefined {
  if (!config.enabled || !('rollout' in config.defaultServe)) return undefined;
  const [first] = config.defaultServe.rollout;
  return first ? first.weight / 1000 : undefined;
}

function sameConfig(a: FlagConfig, b: FlagConfig): boolean {
  return (
    a.enabled === b.enabled &&
    a.offVariant === b.offVariant &&
    JSON.stringify(a.rules) === JSON.stringify(b.rules) &&
    JSON.stringify(a.defaultServe) === JSON.stringify(b.defaultServe)
  );
}
