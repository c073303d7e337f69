import { Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { WebhookNotifier } from '@switchyard/deploy';
import { ChangeRequestsService } from '@switchyard/flags';

/**
 * Posts every change-request state change to WEBHOOK_URLS (the receivers rollouts notify), so a
 * team's channel hears "waiting for approval" and "approved" where it hears about releases.
 */
@Injectable()
export class ChangeRequestWebhooks implements OnModuleInit, OnModuleDestroy {
  private unsubscribe: () => unknown = () => undefined;

  constructor(
    private readonly changeRequests: ChangeRequestsService,
    private readonly webhooks: WebhookNotifier,
  ) {}

  onModuleInit(): void {
    this.unsubscribe = this.changeRequests.onStateChange(({ action, actor, request }) => {
      const target = `${request.target.kind}:${request.target.key}`;
      const verb = action.slice('change-request.'.length);
      this.webhooks.notifyChangeRequest({
        event: action,
        text: `${target} in ${request.environments.join(', ')}: change request ${verb} by ${actor}${request.summary.length ? ` — ${request.summary.join('; ')}` : ''}`,
        changeRequestId: request.id,
        target,
        environments: request.environments,
        state: request.state,
        actor,
        summary: request.summary,
      });
    });
  }

  onModuleDestroy(): void {
    this.unsubscribe();
  }
}
