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
  type BreakerReport,
  type EndpointAggregate,
  type MirrorReport,
  type ReportBatch,
  type RouteAggregate,
  type RouteReport,
  type Verdict,
  mirrorRouteSchema,
} from '@switchyard/mirror';
import { Database } from '@switchyard/persistence';
import { MirrorRoutesService } from './mirror-routes.service';

const HOUR_MS = 3_600_000;

interface AggregateRow {
  endpoint: string;
  bucket: Date | string;
  aggregate: EndpointAggregate | string;
}

/**
 * Report batches from connected proxies, merged per route, endpoint and hour in PostgreSQL, and
 * the reports built from them. Merging bounds what is stored (examples per field, fields and
 * signatures per endpoint, latency samples), however long a proxy runs.
 */
@Injectable()
export class MirrorReportsService {
  constructor(
    private readonly database: Database,
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
          const [row] = (await m.query(`SELECT aggregate FROM mirror_endpoint_reports WHERE route = $1 AND bucket = $2 AND endpoint = $3 FOR UPDATE`, [
            part.route,
            bucket,
            endpoint.endpoint,
          ])) as Pick<AggregateRow, 'aggregate'>[];
          const merged = mergeEndpointAggregate(row ? parsed(row.aggregate) : emptyEndpointAggregate(endpoint.endpoint), endpoint as EndpointAggregate);
          await m.query(
            `INSERT INTO mirror_endpoint_reports (route, endpoint, bucket, seen, sampled, compared, aggregate) VALUES ($1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT (route, bucket, endpoint) DO UPDATE SET seen = EXCLUDED.seen, sampled = EXCLUDED.sampled, compared = EXCLUDED.compared,
               aggregate = EXCLUDED.aggregate, updated_at = now()`,
            [part.route, endpoint.endpoint, bucket, merged.seen, merged.sampled, merged.compared, JSON.stringify(merged)],
          );
          accepted++;
        }
        await this.addToWindows(m, part.route, part.since, part.endpoints as EndpointAggregate[]);
        if (part.endpoints.some((endpoint) => endpoint.compared > 0)) await this.trackVerdict(m, part.route, batch.proxy);
        if (part.breaker) {
          await m.query(
            `INSERT INTO mirror_route_status (route, breaker, reported_by) VALUES ($1, $2, $3)
             ON CONFLICT (route) DO UPDATE SET breaker = EXCLUDED.breaker, reported_by = EXCLUDED.reported_by, updated_at = now()`,
            [part.route, JSON.stringify(part.breaker), batch.proxy ?? null],
          );
        }
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
    await this.database.transaction(async (m) => {
      // A route has one candidate at a time, so one window: an older one left open (an attempt cut
      // short by a restart before it recorded its window) stops collecting now.
      await m.query(`UPDATE mirror_report_windows SET closed_at = now() WHERE route = $1 AND closed_at IS NULL`, [route]);
      await m.query(`INSERT INTO mirror_report_windows (id, route) VALUES ($1, $2)`, [id, route]);
    });
    return id;
  }

  async closeWindow(id: string): Promise<void> {
    await this.database.query(`UPDATE mirror_report_windows SET closed_at = now() WHERE id = $1 AND closed_at IS NULL`, [id]);
  }

  /** The report over a window (the route's current thresholds applied), or null when there is no such window. */
  async windowReport(route: string, id: string): Promise<RouteReport | null> {
    const [row] = await this.database.query<{ opened_at: Date | string; endpoints: Record<string, EndpointAggregate> | string }>(
      `SELECT opened_at, endpoints FROM mirror_report_windows WHERE id = $1 AND route = $2`,
      [id, route],
    );
    if (!row) return null;
    const view = await this.routes.get(route);
    return buildRouteReport(view.route, { route, since: new Date(row.opened_at).toISOString(), endpoints: Object.values(parsed(row.endpoints)) });
  }

  /**
   * A batch counts in a window only when everything in it was recorded after the window opened:
   * a proxy that was cut off delivers its queue late, and those comparisons belong to whatever the
   * route compared before (another candidate, another attempt) — never to this window.
   */
  private async addToWindows(m: EntityManager, route: string, since: string, endpoints: EndpointAggregate[]): Promise<void> {
    const windows = (await m.query(`SELECT id, endpoints FROM mirror_report_windows WHERE route = $1 AND closed_at IS NULL AND opened_at <= $2 FOR UPDATE`, [
      route,
      since,
    ])) as {
      id: string;
      endpoints: Record<string, EndpointAggregate> | string;
    }[];
    for (const window of windows) {
      const merged = parsed(window.endpoints);
      for (const endpoint of endpoints) {
        merged[endpoint.endpoint] = mergeEndpointAggregate(merged[endpoint.endpoint] ?? emptyEndpointAggregate(endpoint.endpoint), endpoint);
      }
      await m.query(`UPDATE mirror_report_windows SET endpoints = $2 WHERE id = $1`, [window.id, JSON.stringify(merged)]);
    }
  }

  /**
   * A route's verdict over the current and the previous hour (what a person watching it now
   * sees), recomputed when a batch brings comparisons; a change is audited as mirror.verdict on
   * the timeline of the service and environment the route belongs to.
   */
  private async trackVerdict(m: EntityManager, route: string, proxy: string | undefined): Promise<void> {
    const [definition] = (await m.query(`SELECT definition, service, environment FROM mirror_routes WHERE name = $1`, [route])) as {
      definition: unknown;
      service: string | null;
      environment: string | null;
    }[];
    if (!definition) return;
    const from = new Date(Math.floor(Date.now() / HOUR_MS) * HOUR_MS - HOUR_MS).toISOString();
    const rows = (await m.query(`SELECT endpoint, bucket, aggregate FROM mirror_endpoint_reports WHERE route = $1 AND bucket >= $2`, [
      route,
      from,
    ])) as AggregateRow[];
    const aggregate = mergeRouteAggregates(
      route,
      rows.map((row) => ({ route, since: new Date(row.bucket).toISOString(), endpoints: [parsed(row.aggregate)] })),
    );
    const report = buildRouteReport(mirrorRouteSchema.parse(parsed(definition.definition)), aggregate);
    const [status] = (await m.query(`SELECT verdict FROM mirror_route_status WHERE route = $1 FOR UPDATE`, [route])) as { verdict: Verdict | null }[];
    const before = status?.verdict ?? null;
    if (before === report.verdict) return;
    await m.query(
      `INSERT INTO mirror_route_status (route, verdict) VALUES ($1, $2) ON CONFLICT (route) DO UPDATE SET verdict = EXCLUDED.verdict, updated_at = now()`,
      [route, report.verdict],
    );
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
      const rows = await this.database.query<AggregateRow>(
        `SELECT endpoint, bucket, aggregate FROM mirror_endpoint_reports WHERE route = $1 AND bucket >= $2 ORDER BY bucket, endpoint`,
        [view.name, new Date(Math.floor(from.getTime() / HOUR_MS) * HOUR_MS).toISOString()],
      );
      const [status] = await this.database.query<{ breaker: BreakerReport | string | null }>(`SELECT breaker FROM mirror_route_status WHERE route = $1`, [
        view.name,
      ]);
      const parts: RouteAggregate[] = rows.map((row) => ({ route: view.name, since: new Date(row.bucket).toISOString(), endpoints: [parsed(row.aggregate)] }));
      const aggregate = mergeRouteAggregates(view.name, parts);
      if (since !== undefined) aggregate.since = from.toISOString();
      else if (parts.length === 0) aggregate.since = view.createdAt;
      const breaker = status?.breaker ? parsed(status.breaker) : undefined;
      reports.push(buildRouteReport(view.route, { ...aggregate, ...(breaker ? { breaker } : {}) }));
    }
    return { generatedAt: new Date().toISOString(), routes: reports };
  }
}

function parsed<T>(value: T | string): T {
  return typeof value === 'string' ? (JSON.parse(value) as T) : value;
}
