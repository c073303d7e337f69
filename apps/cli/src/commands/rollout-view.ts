import type { Rollout } from '@switchyard/deploy';
import { seconds } from '../console/stage-console';

/** The step fields a stage's lines are read from; `kind` is a string so stages added later still print. */
interface StepView {
  kind: string;
  status: string;
  environment: string;
  detail: Record<string, unknown> | null;
}

const isRecord = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);
const num = (value: unknown): number | undefined => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);
const str = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);
const percent = (value: number | undefined) => (value === undefined ? '?' : `${Math.round(value * 100) / 100} %`);
const count = (value: number | undefined) => (value === undefined ? '?' : value.toLocaleString('en-US'));

/**
 * The lines under a dark-launch or flag-release step: its verdict and reason, what decided it
 * (endpoints and fields; the step held and the guardrail that tripped), and where to read more.
 * Read defensively: the detail is stored JSON, and a pending stage has none yet.
 */
export function stageLines(step: StepView): string[] {
  const detail = step.detail;
  if (!isRecord(detail)) return [];
  const lines: string[] = [];
  if (step.kind === 'dark-launch') {
    const verdict = isRecord(detail.verdict) ? detail.verdict : undefined;
    const progress = isRecord(detail.progress) ? detail.progress : undefined;
    lines.push(
      `route ${str(detail.route) ?? '?'}, sample ${percent(num(detail.sample))}, needs ${count(num(detail.minCompared))} comparisons at most ${percent(num(detail.maxMismatch))} mismatched`,
    );
    if (verdict) {
      lines.push(`verdict: ${str(verdict.outcome) ?? '?'} — ${str(verdict.reason) ?? 'no reason recorded'}`);
      for (const endpoint of Array.isArray(verdict.endpoints) ? verdict.endpoints.filter(isRecord) : []) {
        const fields = (Array.isArray(endpoint.fields) ? endpoint.fields.filter(isRecord) : []).map((f) => `${str(f.path) ?? '?'} ${percent(num(f.percent))}`);
        lines.push(
          `  ${str(endpoint.endpoint) ?? '?'}: ${count(num(endpoint.compared))} compared, ${percent(num(endpoint.mismatchPercent))} mismatched${fields.length ? ` (${fields.join(', ')})` : ''}`,
        );
      }
      if (str(verdict.reportUrl)) lines.push(`report: ${str(verdict.reportUrl)}`);
    } else if (progress) {
      lines.push(`progress: ${count(num(progress.compared))} of ${count(num(detail.minCompared))} comparisons, ${count(num(progress.mismatched))} mismatched`);
    }
  } else if (step.kind === 'flag-release') {
    const steps = Array.isArray(detail.steps) ? detail.steps.filter((p): p is number => typeof p === 'number') : [];
    const index = num(detail.stepIndex) ?? -1;
    const live = step.status === 'running' || step.status === 'waiting';
    const flags = Array.isArray(detail.flags) ? detail.flags.filter((f): f is string => typeof f === 'string') : [];
    const interval = num(detail.intervalMs);
    lines.push(`flags ${flags.join(', ') || '?'}, every ${interval === undefined ? '?' : seconds(interval)}`);
    lines.push(
      `steps: ${steps
        .map((p, i) => (i === index && (live || step.status !== 'succeeded') ? `[${percent(p)}]` : i <= index ? `${percent(p)} ✓` : percent(p)))
        .join('  ')}`,
    );
    const tripped = isRecord(detail.tripped) ? detail.tripped : undefined;
    if (tripped)
      lines.push(
        `tripped: ${str(tripped.metric) ?? '?'} at ${percent(num(tripped.percent))} of ${str(tripped.flag) ?? '?'} — ${str(tripped.reason) ?? 'no reason recorded'}; the flag is back where it was`,
      );
    const verdict = isRecord(detail.verdict) ? detail.verdict : undefined;
    if (verdict) lines.push(`verdict: ${str(verdict.verdict) ?? '?'} — ${str(verdict.reason) ?? 'no reason recorded'}`);
  } else if (step.kind === 'analysis') {
    const verdict = isRecord(detail.verdict) ? detail.verdict : undefined;
    if (verdict && str(verdict.verdict)) lines.push(`verdict: ${str(verdict.verdict)} — ${str(verdict.reason) ?? 'no reason recorded'}`);
  }
  return lines;
}

const GATE_WORDS: Record<string, string> = {
  'dark-launch': 'dark launch with too little mirrored traffic',
  'flag-release': 'flag release',
};

/** A rollout as lines for a terminal: status, each step with its time and last message, each stage's verdict and reason, the gate. */
export function describeRollout(rollout: Rollout): string {
  const lines = [
    `rollout ${rollout.id}  ${rollout.kind === 'rollback' ? 'rollback to ' : ''}${rollout.service} ${rollout.version}  ${rollout.status}`,
    `  image ${rollout.image}  by ${rollout.createdBy}${rollout.reason ? `  reason: ${rollout.reason}` : ''}`,
  ];
  for (const [i, step] of rollout.steps.entries()) {
    const marker = i === rollout.currentStep && (rollout.status === 'running' || rollout.status === 'waiting') ? '▶' : ' ';
    const time = step.durationMs !== null ? seconds(step.durationMs) : step.startedAt ? seconds(Date.now() - Date.parse(step.startedAt)) : '';
    lines.push(`${marker} ${`${step.kind} ${step.environment}`.padEnd(24)} ${step.status.padEnd(9)} ${time.padStart(7)}  ${step.message ?? ''}`.trimEnd());
    for (const line of stageLines(step)) lines.push(`      ${line}`);
  }
  if (rollout.gate) {
    const what = rollout.gate.kind === 'approval' ? 'approval gate' : (GATE_WORDS[rollout.gate.step as string] ?? 'inconclusive analysis');
    lines.push(`  waiting at the ${what} for ${rollout.gate.environment}: switchyard approve|abort ${rollout.releaseId} --comment "…"`);
  }
  if (rollout.verdict) lines.push(`  verdict: ${rollout.verdict.verdict} — ${rollout.verdict.reason}`);
  if (rollout.error && rollout.status !== 'running') lines.push(`  ${rollout.status}: ${rollout.error}`);
  return `${lines.join('\n')}\n`;
}
