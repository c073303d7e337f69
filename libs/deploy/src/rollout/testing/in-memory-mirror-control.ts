import type { RouteReport } from '@switchyard/mirror';
import type { EnsureRouteInput, MirrorChangeContext, MirrorControl } from '../steps/mirror-control';

interface RouteState {
  input: EnsureRouteInput;
  candidate: string;
  sample: number;
  window: string | null;
}

/**
 * The mirror as the dark-launch step sees it, in memory: routes with their candidate, sampling and
 * report window. A test says what proxies have reported (`reportWith`) or makes set-up refuse
 * (`refuseWith`); every change is kept in `changes` with its context, as the server audits it.
 */
export class InMemoryMirrorControl implements MirrorControl {
  readonly routes = new Map<string, RouteState>();
  readonly changes: Array<{ change: string; route: string; context: MirrorChangeContext }> = [];
  private windows = 0;
  private reported: { compared: number; mismatched: number; endpoint: string } | undefined;
  private refusal: Error | undefined;

  /** What proxies have reported into the open window so far. */
  reportWith(totals: { compared: number; mismatched: number; endpoint?: string }): void {
    this.reported = { endpoint: 'GET /quotes/:symbol', ...totals };
  }

  /** The next ensureRoute fails with `error` (an AppError 4xx is a refusal, anything else a fault). */
  refuseWith(error: Error): void {
    this.refusal = error;
  }

  async ensureRoute(input: EnsureRouteInput, context: MirrorChangeContext): Promise<void> {
    if (this.refusal) throw this.refusal;
    if (!this.routes.has(input.route)) this.routes.set(input.route, { input, candidate: input.primary, sample: 0, window: null });
    this.changes.push({ change: 'ensureRoute', route: input.route, context });
  }

  async setCandidate(route: string, url: string, context: MirrorChangeContext): Promise<void> {
    this.mustRoute(route).candidate = url;
    this.changes.push({ change: `candidate ${url}`, route, context });
  }

  async setSampling(route: string, percent: number, context: MirrorChangeContext): Promise<void> {
    this.mustRoute(route).sample = percent;
    this.changes.push({ change: `sampling ${percent}`, route, context });
  }

  async openWindow(route: string): Promise<string> {
    const window = `w${++this.windows}`;
    this.mustRoute(route).window = window;
    return window;
  }

  async report(route: string, window: string): Promise<RouteReport | null> {
    const state = this.routes.get(route);
    if (!state || state.window !== window) return null;
    const { compared, mismatched, endpoint } = this.reported ?? { compared: 0, mismatched: 0, endpoint: 'GET /quotes/:symbol' };
    const rate = compared ? mismatched / compared : 0;
    // Only what darkLaunchVerdict and the step read; the full report is the mirror library's to test.
    return {
      route,
      since: new Date().toISOString(),
      totals: {
        seen: compared,
        sampled: compared,
        compared,
        mismatched: { raw: mismatched, afterNoise: mismatched },
        mismatchRate: { raw: rate, afterNoise: rate },
      },
      endpoints: compared ? [{ endpoint, compared, mismatched: { raw: mismatched, afterNoise: mismatched }, fields: [] }] : [],
    } as unknown as RouteReport;
  }

  async reset(route: string, window: string | null, context: MirrorChangeContext): Promise<void> {
    const state = this.mustRoute(route);
    Object.assign(state, { candidate: state.input.primary, sample: 0, window: state.window === window ? null : state.window });
    this.changes.push({ change: 'reset', route, context });
  }

  private mustRoute(route: string): RouteState {
    const state = this.routes.get(route);
    if (!state) throw new Error(`no mirror route ${route}`);
    return state;
  }
}
