import { Injectable } from '@nestjs/common';
import type { Counter, Histogram } from 'prom-client';
import { MetricsService } from '@switchyard/observability';

/** Rollout metrics by service and environment (bounded: services and environments, not releases). */
@Injectable()
export class RolloutMetrics {
  private readonly stepDuration: Histogram<'service' | 'environment' | 'step' | 'outcome'>;
  private readonly verdicts: Counter<'service' | 'environment' | 'verdict'>;
  private readonly guardrailVerdicts: Counter<'service' | 'environment' | 'verdict'>;
  private readonly rollouts: Counter<'service' | 'kind' | 'outcome'>;
  private readonly rollbacks: Counter<'service' | 'environment' | 'trigger'>;
  private readonly kubeRequests: Counter<'verb' | 'code'>;

  constructor(metrics: MetricsService) {
    this.stepDuration = metrics.histogram(
      'switchyard_rollout_step_duration_seconds',
      'Duration of finished rollout steps (deploy, gate, canary, analysis, promote, rollback) by service, environment and outcome',
      ['service', 'environment', 'step', 'outcome'],
      [0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 14400],
    );
    this.verdicts = metrics.counter('switchyard_canary_verdicts_total', 'Canary analysis verdicts by service, environment and verdict', [
      'service',
      'environment',
      'verdict',
    ]);
    this.guardrailVerdicts = metrics.counter(
      'switchyard_flag_release_verdicts_total',
      'Flag-release guardrail verdicts (one per step measured; Failed trips the kill switch) by service, environment and verdict',
      ['service', 'environment', 'verdict'],
    );
    this.rollouts = metrics.counter('switchyard_rollouts_total', 'Rollouts that ended, by service, kind (release or rollback) and outcome', [
      'service',
      'kind',
      'outcome',
    ]);
    this.rollbacks = metrics.counter('switchyard_rollbacks_total', 'Environment rollbacks by service, environment and trigger (automatic or manual)', [
      'service',
      'environment',
      'trigger',
    ]);
    this.kubeRequests = metrics.counter('switchyard_kubernetes_requests_total', 'Kubernetes API requests by verb and HTTP status (0: no answer)', [
      'verb',
      'code',
    ]);
  }

  stepFinished(service: string, environment: string, step: string, outcome: string, seconds: number): void {
    this.stepDuration.observe({ service, environment, step, outcome }, Math.max(0, seconds));
  }

  verdict(service: string, environment: string, verdict: string): void {
    this.verdicts.inc({ service, environment, verdict });
  }

  guardrailVerdict(service: string, environment: string, verdict: string): void {
    this.guardrailVerdicts.inc({ service, environment, verdict });
  }

  rolloutFinished(service: string, kind: string, outcome: string): void {
    this.rollouts.inc({ service, kind, outcome });
  }

  rolledBack(service: string, environment: string, trigger: 'automatic' | 'manual'): void {
    this.rollbacks.inc({ service, environment, trigger });
  }

  kubernetesRequest(verb: string, status: number): void {
    this.kubeRequests.inc({ verb, code: String(status) });
  }
}
