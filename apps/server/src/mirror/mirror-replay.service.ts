import { Inject, Injectable, Optional } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@switchyard/config';
import { ReplayRefusal, type CaptureReplayInput, type CaptureReplaySummary } from '@switchyard/deploy';
import {
  CaptureLocationError,
  CaptureReadError,
  MirrorAnalysis,
  mirrorRouteSchema,
  NothingToReplayError,
  readCaptureDirectory,
  replayCapture,
  ReplayTargetDownError,
  resolveCaptureLocation,
  type Capture,
  type EgressPolicy,
  type ReportBatch,
} from '@switchyard/mirror';
import { MirrorReportsService } from './mirror-reports.service';
import { MirrorRoutesService } from './mirror-routes.service';

/**
 * Where a replay target really connects, for a server that reaches Services by another path than
 * DNS (the tests' simulated cluster; the proxy has the same seam as `resolveUpstream`). Optional:
 * without it, targets connect as written. The egress policy is applied to the URL as written.
 */
export const REPLAY_CONNECT_TO = Symbol('REPLAY_CONNECT_TO');
export type ReplayConnectTo = (url: string) => string;

/** How often a running replay's comparisons are added to the window, so the stage shows progress. */
const FLUSH_MS = 1000;
/** Per replayed request, as the CLI's default: a candidate slower than this is counted as timed out. */
const REQUEST_TIMEOUT_MS = 5000;

/**
 * The server's side of `darkLaunch.replay`: reads a capture from under CAPTURE_ROOT and replays it
 * with libs/mirror's engine (the one `switchyard replay` uses) against the shadow and the stable
 * Service, adding the comparisons to the dark launch's report window exactly as a proxy's reports
 * are added — so the window, the report at /dark-launch and the verdict are the live ones.
 */
@Injectable()
export class MirrorReplayService {
  private readonly root?: string;
  private readonly concurrency: number;
  private readonly targets: EgressPolicy;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly reports: MirrorReportsService,
    private readonly routes: MirrorRoutesService,
    @Optional() @Inject(REPLAY_CONNECT_TO) private readonly connectTo?: ReplayConnectTo,
  ) {
    this.root = config.captures.root;
    this.concurrency = config.captures.replayConcurrency;
    this.targets = config.mirrorTargets;
  }

  async inspect(capture: string, capturedRoute: string): Promise<{ exchanges: number; capturedSpanMs: number }> {
    const { exchanges } = await this.read(capture, capturedRoute);
    return { exchanges: exchanges.length, capturedSpanMs: exchanges.length ? exchanges[exchanges.length - 1].at - exchanges[0].at : 0 };
  }

  async replay(input: CaptureReplayInput, signal: AbortSignal): Promise<CaptureReplaySummary> {
    for (const [field, url] of [
      ['candidate', input.candidate],
      ['primary', input.primary],
    ] as const) {
      const refusal = this.targets.refusal(url);
      if (refusal) throw new ReplayRefusal(`the replay's ${field} ${url} is refused by the egress policy: ${refusal}`);
    }
    const capture = await this.read(input.capture, input.capturedRoute);
    const view = await this.routes.get(input.route);
    // The route's own compare rules and thresholds, with the shadow as candidate and the stable
    // Service as the live secondary that measures noise (no calibration replays needed).
    const route = mirrorRouteSchema.parse({
      ...structuredClone(view.route),
      candidate: input.candidate,
      secondary: input.primary,
      compare: { ...structuredClone(view.route.compare), calibration: { percent: 0, minPerEndpoint: 0 } },
    });
    const analysis = new MirrorAnalysis(route);
    let flushing = Promise.resolve();
    const flush = () => {
      flushing = flushing.then(async () => {
        const aggregate = analysis.drain();
        if (aggregate.endpoints.length === 0) return;
        await this.reports.ingest({ proxy: 'replay', routes: [aggregate] } as ReportBatch, 'all');
      });
      return flushing;
    };
    const timer = setInterval(() => void flush().catch(() => undefined), FLUSH_MS);
    try {
      const run = await replayCapture(capture, {
        candidate: new URL(input.candidate),
        primary: new URL(input.primary),
        speed: input.speed,
        timeoutMs: REQUEST_TIMEOUT_MS,
        concurrency: this.concurrency,
        headers: {},
        route: input.capturedRoute,
        analysisFor: () => analysis,
        ...(this.connectTo ? { connectTo: (target: URL) => new URL(this.connectTo!(target.href)) } : {}),
        signal,
      });
      return { exchanges: run.exchanges, sent: run.sent, stopped: run.stopped, durationMs: run.durationMs };
    } catch (error) {
      if (error instanceof ReplayTargetDownError || error instanceof NothingToReplayError) throw new ReplayRefusal(error.message);
      throw error;
    } finally {
      clearInterval(timer);
      // Whatever was compared counts, also when the deadline or an abort ended the replay.
      await flush();
    }
  }

  private async read(location: string, capturedRoute: string): Promise<Capture> {
    if (!this.root) throw new ReplayRefusal('this server has no CAPTURE_ROOT, so darkLaunch.replay cannot read captures; set it to the directory holding them');
    let capture: Capture;
    try {
      capture = await readCaptureDirectory(await resolveCaptureLocation(this.root, location), { allowPartial: false });
    } catch (error) {
      if (error instanceof CaptureLocationError) throw new ReplayRefusal(error.message);
      // The message names the file under the root; the root itself is the operator's business.
      if (error instanceof CaptureReadError) throw new ReplayRefusal(`capture ${location}: ${error.message.replaceAll(`${this.root}/`, '')}`);
      throw error;
    }
    const exchanges = capture.exchanges.filter((exchange) => exchange.record.route === capturedRoute);
    if (exchanges.length === 0) {
      const held = [...new Set(capture.exchanges.map((exchange) => exchange.record.route))];
      throw new ReplayRefusal(
        `capture ${location} holds no exchanges of route ${capturedRoute}${held.length ? ` (it holds ${held.join(', ')}; set darkLaunch.replay.route)` : ''}`,
      );
    }
    return { ...capture, exchanges };
  }
}
