import { Injectable } from '@nestjs/common';
import type { EnvironmentPlan } from '../../kubernetes/manifest-set';
import type { Rollout } from '../rollout.entity';
import { DeployStep } from './deploy.step';
import type { StepAbortResult, StepContext } from '../step-handler';

/**
 * The stable track after a good canary: a deploy of the environment that also removes the canary
 * (when ready, when failing, and when aborted).
 */
@Injectable()
export class PromoteStep extends DeployStep {
  override readonly kind = 'promote' as const;

  override async abort(context: StepContext): Promise<StepAbortResult> {
    const removed = await this.removeCanary(context.rollout, context.step.environment);
    const restored = await super.abort(context);
    if (restored === 'interrupted') return restored;
    return { ...restored, notes: [...(removed ? [`canary ${removed} deleted`] : []), ...restored.notes] };
  }

  protected override async afterReady(rollout: Rollout, environment: EnvironmentPlan): Promise<string | undefined> {
    return this.cluster.deleteCanary(this.cluster.kubernetes(), rollout, environment);
  }

  protected override async beforeRollback(rollout: Rollout, environment: EnvironmentPlan): Promise<void> {
    await this.cluster.deleteCanary(this.cluster.kubernetes(), rollout, environment);
  }

  private async removeCanary(rollout: Rollout, name: string): Promise<string | undefined> {
    const environment = rollout.plan.environments.find((e) => e.name === name);
    return environment ? this.cluster.deleteCanary(this.cluster.kubernetes(), rollout, environment) : undefined;
  }
}
