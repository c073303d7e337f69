import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AuditService } from '@switchyard/audit';
import { ForbiddenError } from '@switchyard/errors';
import {
  buildRouteReport,
  emptyEndpointAggregate,
  mergeEndpointAggregate,
  mergeRouteAggregates,
  parseReportSince,
  type EndpointAggregate,
  type MirrorReport,
  type ReportBatch,
  type RouteAggregate,
  type RouteReport,
  mirrorRouteSchema,
  MirrorReportsRepository,
  MirrorRoutesRepository,
} from '@switchyard/mirror';
import { Database } from '@switchyard/persistence';
import { MirrorRoutesService } from './mirror-routes.service';

const HOUR_MS = 3_600_000;

/**
 * Report batches from connected proxies, merged per route, endpoint and hour in PostgreSQL, and
 * the reports built from them. Merging bounds what is stored (examples per field, fields and
 * signatures per endpoint, latency samples), however long a proxy runs.
 */
@Injectable()
export class MirrorReportsService {
  constructor(
    private readonly database: Database,
    private readonly repository: MirrorReportsRepository,
    private readonly routeRows: MirrorRoutesRepository,
    private readonly routes: MirrorRoutesService,
    private readonly audit: AuditService,
  ) {}

  /** `reportable`: the routes the sender's token is bound to; a batch naming any other is refused whole. */
  async ingest(batch: ReportBatch, reportable: 'all' | readonly string[]): Promise<{ accepted: number }> {
    if (reportable !== 'all') {
      const foreign = [...new Set(batch.routes.map((part) => part.route).filter((route) => !reportable.includes(route)))];
      if (foreign.length > 0) {
        throw new ForbiddenError(`this token reports for mirror routes ${reportable.join(', ') || '(none)'} only, not ${foreign.join(', ')}`);
      }
    }
    const bucket = new Date(Math.floor(Date.now() / HOUR_MS) * HOUR_MS).toISOString();
    let accepted = 0;
    await this.database.transaction(async (m) => {
      for (const part of batch.routes) {
        for (const endpoint of part.endpoints) {
          const stored = await this.repository.lockBucket(m, part.route, bucket, endpoint.endpoint);
          const merged = mergeEndpointAggregate(stored ?? emptyEndpointAggregate(endpoint.endpoint), endpoint as EndpointAggregate);
          await this.repository.saveBucket(m, part.route, endpoint.endpoint, bucket, merged);
          accepted++;
        }
        await this.addToWindows(m, part.route, part.since, part.endpoints as EndpointAggregate[]);
        if (part.endpoints.some((endpoint) => endpoint.compared > 0)) await this.trackVerdict(m, part.route, batch.proxy);
        if (part.breaker) await this.repository.saveBreaker(m, part.route, part.breaker, batch.proxy ?? null);
      }
    });
    return { accepted };
  }

  /**
   * Opens a comparison window on a route: from now on every batch reported for it is also merged
   * into the window, so its report holds exactly what arrived while it was open.
   */
  async openWindow(route: string): Promise<string> {
    await this.routes.get(route);
    const id = randomUUID();
    // A route has one candidate at a time, so one window: an older one left open (an attempt cut
    // short by a restart before it recorded its window) stops collecting now.
    await this.database.transaction((m) => this.repository.openWindow(m, route, id));
    return id;
  }

  async closeWindow(id: string): Promise<void> {
    await this.repository.closeWindow(this.database, id);
  }

  /** The report over a window (the route's current thresholds applied), or null when there is no such window. */
  async windowReport(route: string, id: string): Promise<RouteReport | null> {
    const window = await this.repository.findWindow(this.database, route, id);
    if (!window) return null;
    const view = await this.routes.get(route);
    return buildRouteReport(view.route, { route, since: new Date(window.openedAt).toISOString(), endpoints: Object.values(window.endpoints) });
  }

  /**
   * A batch counts in a window only when everything in it was recorded after the window opened:
   * a proxy that was cut off delivers its queue late, and those comparisons belong to whatever the
   * route compared before (another candidate, another attempt) — never to this window.
   */
  private async addToWindows(m: EntityManager, route: string, since: string, endpoints: EndpointAggregate[]): Promise<void> {
    for (const window of await this.repository.lockOpenWindows(m, route, since)) {
      const merged = window.endpoints;
      for (const endpoint of endpoints) {
        merged[endpoint.endpoint] = mergeEndpointAggregate(merged[endpoint.endpoint] ?? emptyEndpointAggregate(endpoint.endpoint), endpoint);
      }
      await this.repository.saveWindow(m, window.id, merged);
    }
  }

  /**
   * A route's verdict over the current and the previous hour (what a person watching it now
   * sees), recomputed when a batch brings comparisons; a change is audited as mirror.verdict on
   * the timeline of the service and environment the route belongs to.
   */
  private async trackVerdict(m: EntityManager, route: string, proxy: string | undefined): Promise<void> {
    const definition = await this.routeRows.findWithOwner(m, route);
    if (!definition) return;
    const from = new Date(Math.floor(Date.now() / HOUR_MS) * HOUR_MS - HOUR_MS).toISOString();
    const rows = await this.repository.bucketsSince(m, route, from);
    const aggregate = mergeRouteAggregates(
      route,
      rows.map((row) => ({ route, since: new Date(row.bucket).toISOString(), endpoints: [row.aggregate] })),
    );
    const report = buildRouteReport(mirrorRouteSchema.parse(parsed(definition.definition)), aggregate);
    const before = await this.repository.lockVerdict(m, route);
    if (before === report.verdict) return;
    await this.repository.saveVerdict(m, route, report.verdict);
    await this.audit.record(m, {
      actor: `proxy:${proxy ?? 'unnamed'}`,
      action: 'mirror.verdict',
      target: `mirror-route:${route}`,
      ...(definition.service ? { service: definition.service } : {}),
      ...(definition.environment ? { environment: definition.environment } : {}),
      before: { verdict: before },
      after: {
        verdict: report.verdict,
        compared: report.totals.compared,
        mismatchPercent: Math.round(report.totals.mismatchRate.afterNoise * 100 * 10_000) / 10_000,
        since: from,
      },
    });
  }

  /** The same JSON as a proxy's `GET /reports`, over everything stored since `since` (hour granularity). */
  async report(route: string | undefined, since: string | undefined): Promise<MirrorReport> {
    const from = parseReportSince(since) ?? new Date(0);
    const selected = route === undefined ? (await this.routes.list()).items : [await this.routes.get(route)];
    const reports = [];
    for (const view of selected) {
      const rows = await this.repository.orderedBucketsSince(this.database, view.name, new Date(Math.floor(from.getTime() / HOUR_MS) * HOUR_MS).toISOString());
      const breaker = await this.repository.breaker(this.database, view.name);
      const parts: RouteAggregate[] = rows.map((row) => ({ route: view.name, since: new Date(row.bucket).toISOString(), endpoints: [row.aggregate] }));
      const aggregate = mergeRouteAggregates(view.name, parts);
      if (since !== undefined) aggregate.since = from.toISOString();
      else if (parts.length === 0) aggregate.since = view.createdAt;
      reports.push(buildRouteReport(view.route, { ...aggregate, ...(breaker ? { breaker } : {}) }));
    }
    return { generatedAt: new Date().toISOString(), routes: reports };
  }
}

function parsed<T>(value: T | string): T {
  return typeof value === 'string' ? (JSON.parse(value) as T) : value;
}
