import { parseDurationMs } from '@switchyard/config';
import { captureLocationProblem } from '@switchyard/mirror';
import type { DarkLaunchReplaySpec, DarkLaunchSpec } from './pipeline-spec';

/** A schema violation as pipeline-schema.ts locates it (segments from the file's root). */
interface Violation {
  segments: string[];
  at: 'value';
  problem: string;
}

/** `10%` or `10` → 10; anything else → NaN (the schema has already refused other shapes). */
export function percentOf(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && /^\d+(\.\d+)?%$/.test(value)) return Number(value.slice(0, -1));
  return Number.NaN;
}

/** What the JSON schema cannot say about `darkLaunch:`: the ranges of its percentages and durations. */
export function darkLaunchViolations(darkLaunch: Record<string, unknown> | undefined, at: string[]): Violation[] {
  if (!darkLaunch) return [];
  const violations: Violation[] = [];
  const sample = percentOf(darkLaunch.sample);
  if (!(sample > 0 && sample <= 100)) {
    violations.push({ segments: [...at, 'sample'], at: 'value', problem: `must be more than 0% and at most 100% (got ${String(darkLaunch.sample)})` });
  }
  const maxMismatch = percentOf(darkLaunch.maxMismatch);
  if (!(maxMismatch >= 0 && maxMismatch <= 100)) {
    violations.push({ segments: [...at, 'maxMismatch'], at: 'value', problem: `must be a percentage from 0% to 100% (got ${String(darkLaunch.maxMismatch)})` });
  }
  const timeout = parseDurationMs(String(darkLaunch.timeout));
  if (timeout === undefined || timeout <= 0) {
    violations.push({ segments: [...at, 'timeout'], at: 'value', problem: 'must be a duration longer than zero, such as 10m' });
  }
  const replay = darkLaunch.replay as { capture?: unknown } | undefined;
  // A pipeline chooses among the captures an operator put under the server's CAPTURE_ROOT, never a path of its own.
  const problem = typeof replay?.capture === 'string' ? captureLocationProblem(replay.capture) : undefined;
  if (problem) violations.push({ segments: [...at, 'replay', 'capture'], at: 'value', problem });
  return violations;
}

/** The block as the rollout uses it: percentages as numbers. */
export function normaliseDarkLaunch(darkLaunch: Record<string, unknown>): DarkLaunchSpec {
  return {
    route: String(darkLaunch.route),
    sample: percentOf(darkLaunch.sample),
    minCompared: Number(darkLaunch.minCompared),
    maxMismatch: percentOf(darkLaunch.maxMismatch),
    timeout: String(darkLaunch.timeout),
    ...(darkLaunch.replay ? { replay: normaliseReplay(darkLaunch.replay as Record<string, unknown>) } : {}),
  };
}

function normaliseReplay(replay: Record<string, unknown>): DarkLaunchReplaySpec {
  return {
    capture: String(replay.capture).replace(/\/+$/, ''),
    speed: Number(replay.speed ?? 1),
    ...(replay.route !== undefined ? { route: String(replay.route) } : {}),
  };
}
