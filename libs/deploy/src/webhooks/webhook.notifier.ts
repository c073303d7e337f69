import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { Logger } from 'pino';
import { APP_CONFIG, type AppConfig } from '@switchyard/config';
import { LOGGER } from '@switchyard/observability';

export const ROLLOUT_EVENTS = [
  'gate.waiting',
  'rollout.succeeded',
  'rollout.failed',
  'rollout.rolled-back',
  'rollout.aborted',
  'rollout.dark-launch.verdict',
  'rollout.flag-release.verdict',
] as const;
export type RolloutEvent = (typeof ROLLOUT_EVENTS)[number];

export interface RolloutNotification {
  event: RolloutEvent;
  /** One line for people; Slack (and Mattermost, Teams' Slack-compatible hooks) render it as the message. */
  text: string;
  service: string;
  environment: string | null;
  releaseId: string;
  rolloutId: string;
  version: string;
  image: string;
  detail?: Record<string, unknown>;
  at: string;
}

/** Four-eyes on flag and segment changes (libs/flags change requests), posted to the same receivers. */
export interface ChangeRequestNotification {
  event: `change-request.${'opened' | 'approved' | 'rejected' | 'withdrawn' | 'stale'}`;
  text: string;
  changeRequestId: string;
  /** `flag:<key>` or `segment:<key>`. */
  target: string;
  environments: string[];
  state: string;
  actor: string;
  summary: string[];
  at: string;
}

const ATTEMPTS = 3;
const TIMEOUT_MS = 5000;

/**
 * Posts rollout notifications to WEBHOOK_URLS. Delivery never blocks or fails a rollout: each
 * post runs in the background with a few bounded retries, and a dead receiver is only logged.
 */
@Injectable()
export class WebhookNotifier implements OnModuleDestroy {
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  notify(notification: Omit<RolloutNotification, 'at'>): void {
    const body = JSON.stringify({ ...notification, at: new Date().toISOString() });
    for (const url of this.config.webhookUrls) {
      const delivery = this.deliver(url, body, notification.event).finally(() => this.inFlight.delete(delivery));
      this.inFlight.add(delivery);
    }
  }

  notifyChangeRequest(notification: Omit<ChangeRequestNotification, 'at'>): void {
    const body = JSON.stringify({ ...notification, at: new Date().toISOString() });
    for (const url of this.config.webhookUrls) {
      const delivery = this.deliver(url, body, notification.event).finally(() => this.inFlight.delete(delivery));
      this.inFlight.add(delivery);
    }
  }

  /** Waits for deliveries under way (shutdown, tests). */
  async flush(): Promise<void> {
    await Promise.allSettled([...this.inFlight]);
  }

  async onModuleDestroy(): Promise<void> {
    await this.flush();
  }

  private async deliver(url: string, body: string, event: RolloutEvent | ChangeRequestNotification['event']): Promise<void> {
    let reason = '';
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      try {
        const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: AbortSignal.timeout(TIMEOUT_MS) });
        await response.arrayBuffer().catch(() => undefined);
        if (response.ok) return;
        reason = `HTTP ${response.status}`;
        // A 4xx will not get better by repeating it.
        if (response.status < 500 && response.status !== 429) break;
      } catch (error) {
        reason = (error as { cause?: { code?: string } }).cause?.code ?? (error instanceof Error ? error.message : String(error));
      }
      if (attempt < ATTEMPTS) await new Promise((resolve) => setTimeout(resolve, 250 * 2 ** (attempt - 1)));
    }
    this.logger.warn({ url: redact(url), event, reason }, 'rollout webhook not delivered');
  }
}

/** Webhook URLs carry their secret in the path (Slack's do); logs show the host only. */
function redact(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return 'invalid-url';
  }
}
