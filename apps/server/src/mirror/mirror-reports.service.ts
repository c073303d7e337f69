import { Injectable } from '@nestjs/common';
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
