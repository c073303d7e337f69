import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@switchyard/config';
import { AppError } from '@switchyard/errors';
import { PrometheusClient } from '../analysis/prometheus.client';
import { RolloutMetrics } from '../rollout/rollout.metrics';
import { KubeClient } from './kube-client';
import { KubeConfigError, resolveKubeTarget, type KubeTarget } from './kube-config';

/** 503 that waiting will not fix (clients should not retry): the server lacks a piece of configuration. */
export class NotConfiguredError extends AppError {
  constructor(code: 'KUBERNETES_NOT_CONFIGURED' | 'PROMETHEUS_NOT_CONFIGURED', message: string) {
    super(code, message, 503);
  }
}

/**
 * The server's way to its cluster and its Prometheus, resolved once from the configuration.
 * Without either, the rest of the server works and only rollouts answer 503 naming what is missing.
 */
@Injectable()
export class ClusterAccess implements OnModuleDestroy {
  private client?: KubeClient;
  private problem?: string;
  private readonly prometheusClient?: PrometheusClient;

  constructor(@Inject(APP_CONFIG) config: AppConfig, metrics: RolloutMetrics) {
    let target: KubeTarget | undefined;
    try {
      target = resolveKubeTarget(config.kubernetes);
      if (!target) this.problem = 'no Kubernetes cluster is configured: set KUBECONFIG, or run the server in a cluster with a service account';
    } catch (error) {
      this.problem = error instanceof KubeConfigError ? error.message : `cannot read the Kubernetes configuration: ${String(error)}`;
    }
    if (target) this.client = new KubeClient(target, { onRequest: (verb, status) => metrics.kubernetesRequest(verb, status) });
    if (config.prometheusUrl) this.prometheusClient = new PrometheusClient(config.prometheusUrl);
  }

  get configured(): boolean {
    return this.client !== undefined;
  }

  /** Why there is no cluster (for the 503 and the logs). */
  get unavailableReason(): string | undefined {
    return this.problem;
  }

  kubernetes(): KubeClient {
    if (!this.client) throw new NotConfiguredError('KUBERNETES_NOT_CONFIGURED', this.problem ?? 'no Kubernetes cluster is configured');
    return this.client;
  }

  prometheus(): PrometheusClient {
    if (!this.prometheusClient) throw new NotConfiguredError('PROMETHEUS_NOT_CONFIGURED', 'canary analysis needs Prometheus: set PROMETHEUS_URL');
    return this.prometheusClient;
  }

  get hasPrometheus(): boolean {
    return this.prometheusClient !== undefined;
  }

  onModuleDestroy(): void {
    this.client?.close();
  }
}
