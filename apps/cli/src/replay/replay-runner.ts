import {
  darkLaunchVerdict,
  NothingToReplayError,
  replayCapture as replayEngine,
  ReplayTargetDownError,
  type CaptureReplayOptions,
  type DarkLaunchVerdict,
  type RouteReport,
} from '@switchyard/mirror';
import { CommandError } from '../cli-io';
import type { Capture } from './capture-reader';

export { REPLAY_HEADER } from '@switchyard/mirror';

/** The engine's options the command line sets (analyses, routing and cancelling are the server's). */
export type ReplayOptions = Pick<CaptureReplayOptions, 'candidate' | 'primary' | 'speed' | 'timeoutMs' | 'concurrency' | 'headers' | 'minCompared' | 'route'>;

export interface ReplayResult {
  routes: Array<{ report: RouteReport; verdict: DarkLaunchVerdict }>;
  outcome: DarkLaunchVerdict['outcome'];
  replayed: number;
  durationMs: number;
  capturedSpanMs: number;
  speed: number;
  /** How far behind the captured pace the slowest send started (concurrency or a slow target). */
  maxLagMs: number;
}

/**
 * Replays a capture with libs/mirror's engine (the one the server's dark-launch stage uses) and
 * decides each recorded route with the dark-launch verdict, as live mirroring would.
 */
export async function replayCapture(capture: Capture, options: ReplayOptions): Promise<ReplayResult> {
  let run;
  try {
    run = await replayEngine(capture, options);
  } catch (error) {
    if (error instanceof NothingToReplayError || error instanceof ReplayTargetDownError) throw new CommandError(error.message);
    throw error;
  }
  const routes = [...run.analyses.values()].map((analysis) => {
    const report = analysis.report();
    const verdict = darkLaunchVerdict(report, analysis.route.verdict, { route: analysis.route.name, sample: 100, timeout: 'the replay' });
    return { report, verdict };
  });
  const outcome = routes.some((route) => route.verdict.outcome === 'fail')
    ? 'fail'
    : routes.some((route) => route.verdict.outcome === 'insufficient-data')
      ? 'insufficient-data'
      : 'pass';
  return { routes, outcome, replayed: run.exchanges, durationMs: run.durationMs, capturedSpanMs: run.capturedSpanMs, speed: run.speed, maxLagMs: run.maxLagMs };
}
