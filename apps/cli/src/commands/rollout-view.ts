import type { Rollout } from '@switchyard/deploy';
import { seconds } from '../console/stage-console';

/** A rollout as lines for a terminal: status, each step with its time and last message, the gate. */
export function describeRollout(rollout: Rollout): string {
  const lines = [
    `rollout ${rollout.id}  ${rollout.kind === 'rollback' ? 'rollback to ' : ''}${rollout.service} ${rollout.version}  ${rollout.status}`,
    `  image ${rollout.image}  by ${rollout.createdBy}${rollout.reason ? `  reason: ${rollout.reason}` : ''}`,
  ];
  for (const [i, step] of rollout.steps.entries()) {
    const marker = i === rollout.currentStep && (rollout.status === 'running' || rollout.status === 'waiting') ? '▶' : ' ';
    const time = step.durationMs !== null ? seconds(step.durationMs) : step.startedAt ? seconds(Date.now() - Date.parse(step.startedAt)) : '';
    lines.push(`${marker} ${`${step.kind} ${step.environment}`.padEnd(24)} ${step.status.padEnd(9)} ${time.padStart(7)}  ${step.message ?? ''}`.trimEnd());
  }
  if (rollout.gate)
    lines.push(
      `  waiting at the ${rollout.gate.kind === 'approval' ? 'approval gate' : 'inconclusive analysis'} for ${rollout.gate.environment}: switchyard approve|abort ${rollout.releaseId} --comment "…"`,
    );
  if (rollout.verdict) lines.push(`  verdict: ${rollout.verdict.verdict} — ${rollout.verdict.reason}`);
  if (rollout.error && rollout.status !== 'running') lines.push(`  ${rollout.status}: ${rollout.error}`);
  return `${lines.join('\n')}\n`;
}
