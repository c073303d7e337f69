import { Inject, Injectable, Optional, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { APP_CONFIG, type AppConfig } from '@switchyard/config';
import { AppError } from '@switchyard/errors';
import { PrometheusClient } from '../analysis/prometheus.client';
import { RolloutMetrics } from '../metrics/rollout.metrics';
import { KubeApiError, KubeClient } from './kube-client';
import { KubeConfigError, resolveKubeTarget, type KubeTarget } from './kube-config';

/** 503 that waiting will not fix (clients should not retry): the server lacks a piece of configuration. */
export class NotConfiguredError extends AppError {
  constructor(code: 'KUBERNETES_NOT_CONFIGURED' | 'PROMETHEUS_NOT_CONFIGURED' | 'KUBERNETES_UNAVAILABLE', message: string) {
    super(code, message, 503);
  }
}

/** What /readyz shows for the cluster: `disabled` without one, `down` with the reason when it cannot be used. */
export interface ClusterState {
  state: 'up' | 'down' | 'disabled';
  reason?: string;
  source?: string;
}

// A probe retries a little: under a flaky network one reset must not take rollouts down for a whole period.
const PROBE_ATTEMPTS = 3;
const PROBE_TIMEOUT_MS = 5000;
const PROBE_PERIOD_MS = 10_000;

/**
 * The server's way to its cluster and its Prometheus, resolved once from the configuration, and
 * probed at boot and every few seconds (one GET /version: the server answers and the credentials,
 * exec plugins included, work). Without a usable cluster the rest of the server works; only
 * rollouts answer 503 naming why, and /readyz shows it.
 */
@Injectable()
export class ClusterAccess implements OnApplicationBootstrap, OnModuleDestroy {
  private client?: KubeClient;
  private problem?: string;
  /** Why the last probe failed (the cluster is configured but cannot be used). */
  private outage?: string;
  private timer?: NodeJS.Timeout;
  private probing?: Promise<void>;
  private readonly prometheusClient?: PrometheusClient;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    metrics: RolloutMetrics,
    @Optional() private readonly http?: HttpAdapterHost,
  ) {
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

  /**
   * The first probe runs at bootstrap, awaited, so the server listens knowing whether the cluster
   * works. Not at init: providers that take the client while bootstrapping (the rollout driver
   * logs its source) get it, and the probe's verdict applies once the probe has an answer.
   */
  async onApplicationBootstrap(): Promise<void> {
    if (!this.client) return;
    await this.probe();
    this.timer = setInterval(() => void this.probe(), PROBE_PERIOD_MS);
    this.timer.unref();
  }

  get configured(): boolean {
    return this.client !== undefined;
  }

  /** Why there is no usable cluster (for the 503 and the logs). */
  get unavailableReason(): string | undefined {
    return this.problem ?? this.outage;
  }

  /** For /readyz: probes again (sharing a probe already under way) and says how the cluster is. */
  async state(): Promise<ClusterState> {
    if (!this.client)
      return this.problem?.startsWith('no Kubernetes cluster') ? { state: 'disabled', reason: this.problem } : { state: 'down', reason: this.problem };
    await this.probe();
    return this.outage ? { state: 'down', reason: this.outage, source: this.client.target.source } : { state: 'up', source: this.client.target.source };
  }

  /** `kubeconfig /path (context c)` or `in-cluster service account`, for logs. */
  get source(): string | undefined {
    return this.client?.target.source;
  }

  /**
   * The client, or a 503 naming why there is none: not configured, or (once the server serves
   * requests) the last probe failed. During bootstrap an outage does not refuse, so that providers
   * which take the client while starting (the rollout driver logs its source) start anyway; the
   * steps they run later get the 503 and are retried by the engine.
   */
  kubernetes(): KubeClient {
    if (!this.client) throw new NotConfiguredError('KUBERNETES_NOT_CONFIGURED', this.problem ?? 'no Kubernetes cluster is configured');
    if (this.outage && this.serving) throw new NotConfiguredError('KUBERNETES_UNAVAILABLE', this.outage);
    return this.client;
  }

  private get serving(): boolean {
    const server = this.http?.httpAdapter?.getHttpServer() as { listening?: boolean } | undefined;
    return server?.listening === true;
  }

  prometheus(): PrometheusClient {
    if (!this.prometheusClient) throw new NotConfiguredError('PROMETHEUS_NOT_CONFIGURED', 'canary analysis needs Prometheus: set PROMETHEUS_URL');
    return this.prometheusClient;
  }

  get hasPrometheus(): boolean {
    return this.prometheusClient !== undefined;
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
    this.client?.close();
  }

  private probe(): Promise<void> {
    const client = this.client;
    if (!client) return Promise.resolve();
    this.probing ??= (async () => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${PROBE_TIMEOUT_MS / 1000} s`)), PROBE_TIMEOUT_MS);
      });
      try {
        for (let attempt = 1; ; attempt++) {
          try {
            await Promise.race([client.probe(), timeout]);
            this.outage = undefined;
            return;
          } catch (error) {
            const retry = error instanceof KubeApiError && error.transient && attempt < PROBE_ATTEMPTS;
            if (!retry) {
              this.outage = `the Kubernetes API at ${client.target.server} (${client.target.source}) cannot be used: ${describe(error)}`;
              return;
            }
          }
        }
      } finally {
        clearTimeout(timer);
        this.probing = undefined;
      }
    })();
    return this.probing;
  }
}

function describe(error: unknown): string {
  if (error instanceof KubeApiError) {
    if (error.status === 401) return 'the credentials were refused (401 Unauthorized)';
    if (error.status === 0) return error.message.replace(/^GET \/version: /, '');
    return `${error.status} ${error.reason}: ${error.message}`;
  }
  return error instanceof Error ? error.message : String(error);
}
