import { Injectable } from '@nestjs/common';
import { RolloutCluster } from '../rollout-cluster';
import { RolloutPlanner } from '../rollout-planner';
import { environmentOf, RolloutRecorder } from '../rollout-recorder';
import type { StepContext, StepHandler, StepResult } from '../step-handler';

/** Waits for a person's approval, showing what the next deploy would change in the environment. */
@Injectable()
export class GateStep implements StepHandler {
  readonly kind = 'gate' as const;

  constructor(
    private readonly recorder: RolloutRecorder,
    private readonly cluster: RolloutCluster,
    private readonly planner: RolloutPlanner,
  ) {}

  async run({ rollout, index }: StepContext): Promise<StepResult> {
    const environment = environmentOf(rollout, rollout.steps[index].environment);
    let plan: unknown = null;
    let planError: string | undefined;
    try {
      plan = await this.planner.preview(this.cluster.kubernetes(), environment);
    } catch (error) {
      planError = error instanceof Error ? error.message : String(error);
    }
    const message = `waiting for approval to deploy ${rollout.version} to ${environment.name}`;
    await this.recorder.changeStep(
      rollout.id,
      index,
      { status: 'waiting', start: true, message, detail: { plan, ...(planError ? { planError } : {}) } },
      { status: 'waiting' },
      (r) => [
        this.recorder.event(r, 'rollout.gate.waiting', environment.name, {
          after: { step: 'gate', environment: environment.name },
          meta: { kind: 'approval' },
        }),
      ],
    );
    this.recorder.notify(
      rollout,
      'gate.waiting',
      environment.name,
      `${rollout.service} ${rollout.version} is waiting for approval to deploy to ${environment.name}`,
      {
        gate: 'approval',
      },
    );
    return 'stop';
  }
}
