import type { EnvironmentPlan } from '../kubernetes/manifest-set';
import type { RolloutStep, StepKind } from './rollout.entity';

export function newStep(kind: StepKind, environment: string, detail: Record<string, unknown> | null = null): RolloutStep {
  return { kind, environment, status: 'pending', startedAt: null, finishedAt: null, durationMs: null, message: null, detail };
}

/**
 * Per environment, in order: the dark launch (if declared: before any user traffic), the gate (if
 * approval is required), then canary → analysis → promote, or a plain deploy, then the flag release
 * (if declared: the feature is turned on once the image runs).
 */
export function stepsFor(environments: EnvironmentPlan[]): RolloutStep[] {
  const steps: RolloutStep[] = [];
  for (const environment of environments) {
    if (environment.darkLaunch && environment.primary) steps.push(newStep('dark-launch', environment.name));
    if (environment.approval === 'required') steps.push(newStep('gate', environment.name));
    if (environment.canary && environment.primary) {
      steps.push(newStep('canary', environment.name), newStep('analysis', environment.name), newStep('promote', environment.name));
    } else steps.push(newStep('deploy', environment.name));
    if (environment.release) steps.push(newStep('flag-release', environment.name));
  }
  return steps;
}
