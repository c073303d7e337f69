import { Injectable } from '@nestjs/common';
import { TOTAL_WEIGHT } from '@switchyard/core';
import type { CaptureReplayInput, CaptureReplaySummary, EnsureRouteInput, MirrorChangeContext, MirrorControl } from '@switchyard/deploy';
import { NotFoundError } from '@switchyard/errors';
import { FlagsService } from '@switchyard/flags';
import type { MirrorRoute, MirrorRouteInput, RouteReport } from '@switchyard/mirror';
import { MirrorReplayService } from './mirror-replay.service';
import { MirrorReportsService } from './mirror-reports.service';
import { MirrorRoutesService, type RouteChangeContext } from './mirror-routes.service';

/**
 * Routes a dark launch creates bucket users by this header, so that a user is mirrored on every
 * request or on none; an existing route keeps whatever it buckets by.
 */
export const DARK_LAUNCH_BUCKET_BY = 'header:x-user-id';

/**
 * The server's side of the dark-launch stage (MirrorControl in libs/deploy): route changes go
 * through MirrorRoutesService and sampling through FlagsService, so each is validated, versioned,
 * pushed to proxies and audited exactly as if a person had made it through the API.
 */
@Injectable()
export class MirrorControlService implements MirrorControl {
  constructor(
    private readonly routes: MirrorRoutesService,
    private readonly reports: MirrorReportsService,
    private readonly flags: FlagsService,
    private readonly replays: MirrorReplayService,
  ) {}

  inspectCapture(capture: string, capturedRoute: string): Promise<{ exchanges: number; capturedSpanMs: number }> {
    return this.replays.inspect(capture, capturedRoute);
  }

  replay(input: CaptureReplayInput, signal: AbortSignal): Promise<CaptureReplaySummary> {
    return this.replays.replay(input, signal);
  }

  async ensureRoute(input: EnsureRouteInput, context: MirrorChangeContext): Promise<void> {
    const existing = await this.routes.get(input.route).catch((error: unknown) => {
      if (error instanceof NotFoundError) return undefined;
      throw error;
    });
    // An existing route is the team's: left as it is, but its sampling flag must exist to be raised.
    if (existing) {
      if (existing.route.sample.flag !== undefined) await this.ensureFlag(existing.route.sample.flag, input.route, context);
      return;
    }
    const flag = `mirror.${input.route}`;
    await this.ensureFlag(flag, input.route, context);
    const route: MirrorRouteInput = {
      name: input.route,
      // The proxy stands in for the Service: requests reach it addressed to the Service's name.
      match: { host: new URL(input.primary).host },
      primary: input.primary,
      // Until a dark launch points it at a shadow, the candidate is the live version itself.
      candidate: input.primary,
      sample: { flag, bucketBy: DARK_LAUNCH_BUCKET_BY },
      verdict: { minCompared: input.minCompared, maxMismatchPercent: input.maxMismatchPercent },
    };
    await this.routes.create(route, context.actor, this.routeContext(context));
  }

  async setCandidate(route: string, url: string, context: MirrorChangeContext): Promise<void> {
    const view = await this.routes.get(route);
    if (view.route.candidate === url) return;
    await this.routes.replace(route, { ...definition(view.route), candidate: url }, context.actor, view.version, this.routeContext(context));
  }

  async setSampling(route: string, percent: number, context: MirrorChangeContext): Promise<void> {
    const view = await this.routes.get(route);
    const flag = view.route.sample.flag;
    if (flag === undefined) {
      if (view.route.sample.percent === percent) return;
      await this.routes.replace(
        route,
        { ...definition(view.route), sample: { ...view.route.sample, percent } },
        context.actor,
        view.version,
        this.routeContext(context),
      );
      return;
    }
    const on = Math.round((percent / 100) * TOTAL_WEIGHT);
    await this.flags.patchEnvironment(
      flag,
      context.environment,
      {
        enabled: true,
        defaultServe:
          on <= 0
            ? { variant: 'off' }
            : on >= TOTAL_WEIGHT
              ? { variant: 'on' }
              : {
                  rollout: [
                    { variant: 'on', weight: on },
                    { variant: 'off', weight: TOTAL_WEIGHT - on },
                  ],
                },
      },
      this.write(context),
    );
  }

  openWindow(route: string): Promise<string> {
    return this.reports.openWindow(route);
  }

  report(route: string, window: string): Promise<RouteReport | null> {
    return this.reports.windowReport(route, window);
  }

  async reset(route: string, window: string | null, context: MirrorChangeContext): Promise<void> {
    await this.setSampling(route, 0, context);
    const view = await this.routes.get(route);
    await this.setCandidate(route, view.route.primary, context);
    if (window) await this.reports.closeWindow(window);
  }

  private async ensureFlag(flag: string, route: string, context: MirrorChangeContext): Promise<void> {
    try {
      await this.flags.getFlag(flag);
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
      await this.flags.createFlag(
        {
          key: flag,
          type: 'boolean',
          description: `Share of users whose requests the proxy mirrors on route ${route}; dark launches raise it and put it back to 0`,
        },
        this.write(context),
      );
    }
  }

  /** A rollout's write was approved with the release; confirmation-guarded environments need no second one. */
  private write(context: MirrorChangeContext) {
    return { actor: context.actor, confirmed: [context.environment], comment: context.comment };
  }

  private routeContext(context: MirrorChangeContext): RouteChangeContext {
    return { service: context.service, environment: context.environment, comment: context.comment };
  }
}

/** A stored route as API input again (every default written out, which parses to the same route). */
function definition(route: MirrorRoute): MirrorRouteInput {
  return structuredClone(route) as MirrorRouteInput;
}
