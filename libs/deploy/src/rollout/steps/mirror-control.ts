import type { RouteReport } from '@switchyard/mirror';

/** Who is changing a mirror route and for which release: what its audit events carry. */
export interface MirrorChangeContext {
  actor: string;
  service: string;
  environment: string;
  /** Why, in the audit event's comment ("release <id>: dark launch"). */
  comment: string;
}

export interface EnsureRouteInput {
  route: string;
  /** The environment's stable Service URL (`http://quotes.quotes.svc:8080`): the live path. */
  primary: string;
  /** The verdict thresholds the route's own report shows (kept in line with the stage's). */
  minCompared: number;
  maxMismatchPercent: number;
}

/**
 * The dark-launch stage's view of the mirror: the port libs/deploy defines and the server
 * implements (apps/server/src/mirror), registered under MIRROR_CONTROL. Every change is audited
 * by the implementation in the same transaction as the change itself.
 */
export interface MirrorControl {
  /** Creates the route when missing (candidate = primary, sampling 0 through its flag); an existing route is left as it is. */
  ensureRoute(input: EnsureRouteInput, context: MirrorChangeContext): Promise<void>;
  /** Points the route's candidate (and thereby every connected proxy's shadow copies) at `url`. */
  setCandidate(route: string, url: string, context: MirrorChangeContext): Promise<void>;
  /**
   * Mirrors `percent` of users (sticky per targeting key) through the route's sampling flag in
   * the context's environment; a route sampling by a fixed percent gets that percent instead.
   */
  setSampling(route: string, percent: number, context: MirrorChangeContext): Promise<void>;
  /**
   * Starts counting afresh: the returned window collects only what proxies report from now on,
   * so earlier comparisons (another candidate, an earlier attempt) never decide this one.
   */
  openWindow(route: string): Promise<string>;
  /** The report over what arrived in the window so far (null when the window is unknown). */
  report(route: string, window: string): Promise<RouteReport | null>;
  /** Candidate back to the primary, sampling 0, the window closed: the route costs nothing until the next dark launch. */
  reset(route: string, window: string | null, context: MirrorChangeContext): Promise<void>;
  /**
   * Whether `capture` (relative to the server's capture root) can be replayed for `capturedRoute`:
   * how many exchanges it holds, or ReplayRefusal with one sentence. Optional: a server without
   * record/replay support fails a `replay:` dark launch with a message instead.
   */
  inspectCapture?(capture: string, capturedRoute: string): Promise<{ exchanges: number; capturedSpanMs: number }>;
  /**
   * Replays the capture against `candidate` (and `primary` for noise cancellation) and adds every
   * comparison to `window`, as reports from a proxy would be; resolves when the capture is done or
   * `signal` stopped it (deadline, abort, supersede, shutdown). ReplayRefusal: it cannot run.
   */
  replay?(input: CaptureReplayInput, signal: AbortSignal): Promise<CaptureReplaySummary>;
}

export interface CaptureReplayInput {
  route: string;
  window: string;
  capture: string;
  capturedRoute: string;
  speed: number;
  /** The shadow's Service URL. */
  candidate: string;
  /** The stable Service URL: the live primary whose answers measure noise. */
  primary: string;
}

export interface CaptureReplaySummary {
  exchanges: number;
  sent: number;
  /** The signal ended it before the whole capture was sent. */
  stopped: boolean;
  durationMs: number;
}

/** A replay that cannot run (no such capture, a refused target, a target that is down): the stage fails with this sentence. */
export class ReplayRefusal extends Error {}

/** Nest token for the MirrorControl the server provides. */
export const MIRROR_CONTROL = Symbol('MIRROR_CONTROL');
