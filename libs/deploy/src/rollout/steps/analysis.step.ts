import { Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { Inject } from '@nestjs/common';
import { parseDurationMs } from '@switchyard/config';
import { LOGGER } from '@switchyard/observability';
import { decideVerdict, measureIteration, type AnalysisVerdict, type Measurement } from '../../analysis/canary-analysis';
import { PrometheusError } from '../../analysis/prometheus.client';
import type { Rollout } from '../rollout.entity';
import { RolloutCluster } from '../rollout-cluster';
import { RolloutInterrupts } from '../rollout-interrupts';
import { environmentOf, ROLLOUT_ACTOR, RolloutRecorder } from '../rollout-recorder';
import { CanaryStep, verdictEvent } from './canary.step';
import type { StepAbortResult, StepContext, StepHandler, StepResult } from '../step-handler';

/**
 * Measures the canary against the stable track every `interval` until a verdict: Successful moves
 * on to promote, Inconclusive waits for a person, Failed deletes the canary and fails the rollout.
 * Measurements are persisted as they are taken, so a restarted replica resumes the count.
 */
@Injectable()
export class AnalysisStep implements StepHandler {
  readonly kind = 'analysis' as const;

  constructor(
    private readonly recorder: RolloutRecorder,
    private readonly cluster: RolloutCluster,
    private readonly interrupts: RolloutInterrupts,
    private readonly canary: CanaryStep,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async run({ rollout, index, signal }: StepContext): Promise<StepResult> {
    const step = rollout.steps[index];
    const environment = environmentOf(rollout, step.environment);
    const spec = environment.canary?.analysis;
    if (!spec) throw new Error(`environment ${environment.name} has no analysis`);
    const intervalMs = parseDurationMs(spec.interval) ?? 60_000;
    // Without Prometheus nothing can be measured: every iteration is inconclusive and a person decides.
    const access = this.cluster.access;
    const prometheus = access.hasPrometheus ? access.prometheus() : undefined;
    let startedAt = step.startedAt;
    if (step.status === 'pending' || startedAt === null) {
      const updated = await this.recorder.changeStep(rollout.id, index, {
        status: 'running',
        start: true,
        message: `first measurement in ${spec.interval}`,
        detail: { spec },
      });
      startedAt = updated.steps[index].startedAt;
    }
    const context = { service: rollout.service, environment: environment.name, namespace: environment.namespace };
    for (;;) {
      const measurements = await this.recorder.db.transaction((manager) => this.recorder.rollouts.measurements(manager, rollout.id, environment.name));
      const verdict = decideVerdict(spec, measurements);
      if (verdict) return this.conclude(rollout, index, verdict);
      const last = measurements.length ? measurements[measurements.length - 1].measuredAt : startedAt;
      const iteration = (measurements.length ? Math.max(...measurements.map((m) => m.iteration)) : 0) + 1;
      const slept = await this.interrupts.sleepUntil(rollout.id, Date.parse(String(last)) + intervalMs, signal);
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
      await this.recorder.changeStep(
        rollout.id,
        index,
        { message: line },
        {},
        () => [],
        (manager) => this.recorder.rollouts.addMeasurements(manager, rollout.id, environment.name, taken),
      );
      this.logger.info({ rolloutId: rollout.id, environment: environment.name, iteration }, line);
    }
  }

  async abort(context: StepContext): Promise<StepAbortResult> {
    return this.canary.abort(context);
  }

  private async conclude(rollout: Rollout, index: number, verdict: AnalysisVerdict): Promise<StepResult> {
    const environment = environmentOf(rollout, rollout.steps[index].environment);
    this.recorder.metrics.verdict(rollout.service, environment.name, verdict.verdict);
    switch (verdict.verdict) {
      case 'Successful':
        await this.recorder.changeStep(
          rollout.id,
          index,
          { status: 'succeeded', finish: true, message: `Successful: ${verdict.reason}`, detail: { spec: environment.canary?.analysis, verdict } },
          { verdict, currentStep: index + 1 },
          (r) => [verdictEvent(this.recorder, r, environment.name, verdict)],
        );
        return 'continue';
      case 'Inconclusive':
        await this.recorder.changeStep(
          rollout.id,
          index,
          { status: 'waiting', message: `Inconclusive: ${verdict.reason}`, detail: { spec: environment.canary?.analysis, verdict } },
          { verdict, status: 'waiting' },
          (r) => [
            verdictEvent(this.recorder, r, environment.name, verdict),
            this.recorder.event(r, 'rollout.gate.waiting', environment.name, {
              actor: ROLLOUT_ACTOR,
              after: { step: 'analysis', environment: environment.name },
              meta: { kind: 'inconclusive' },
            }),
          ],
        );
        this.recorder.notify(
          rollout,
          'gate.waiting',
          environment.name,
          `${rollout.service} ${rollout.version}: the canary analysis in ${environment.name} is inconclusive (${verdict.reason}); approve to promote or abort to roll back`,
          { gate: 'inconclusive', verdict },
        );
        return 'stop';
      case 'Failed': {
        await this.cluster.deleteCanary(this.cluster.kubernetes(), rollout, environment);
        await this.canary.fail(rollout, index, `Failed: ${verdict.reason}`, { verdict }, verdict);
        return 'stop';
      }
    }
  }
}
