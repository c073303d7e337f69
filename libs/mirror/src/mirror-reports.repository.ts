import type { BreakerReport, Verdict } from './mirror-report';
import type { EndpointAggregate } from './mirror-aggregate';
import { fromJson, type SqlRunner } from './sql-runner';

/** One endpoint's merged aggregate for one hour. */
export interface EndpointBucket {
  endpoint: string;
  bucket: Date | string;
  aggregate: EndpointAggregate;
}

export interface ReportWindow {
  id: string;
  openedAt: Date | string;
  /** Merged aggregates by endpoint. */
  endpoints: Record<string, EndpointAggregate>;
}

interface BucketRow {
  endpoint: string;
  bucket: Date | string;
  aggregate: EndpointAggregate | string;
}

const toBucket = (row: BucketRow): EndpointBucket => ({ endpoint: row.endpoint, bucket: row.bucket, aggregate: fromJson(row.aggregate) });

/**
 * Proxies' reports as stored: per route, endpoint and hour (mirror_endpoint_reports), comparison
 * windows (mirror_report_windows) and each route's last breaker state and verdict
 * (mirror_route_status). SQL that runs on PostgreSQL and PGlite alike; every method works on what
 * it is given (a transaction's manager, or the Database for a single statement).
 */
export class MirrorReportsRepository {
  /** The hour's aggregate of one endpoint, locked for the rest of the transaction. */
  async lockBucket(m: SqlRunner, route: string, bucket: string, endpoint: string): Promise<EndpointAggregate | undefined> {
    // FOR UPDATE locks only a row that exists: two proxies (or a proxy's cluster workers) reporting
    // the hour's first batch for an endpoint would both read nothing and the second insert would
    // overwrite the first. The transaction-scoped advisory lock serialises them on the key instead.
    await m.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [`mirror_endpoint_reports:${route}:${bucket}:${endpoint}`]);
    const [row] = (await m.query(`SELECT aggregate FROM mirror_endpoint_reports WHERE route = $1 AND bucket = $2 AND endpoint = $3 FOR UPDATE`, [
      route,
      bucket,
      endpoint,
    ])) as Pick<BucketRow, 'aggregate'>[];
    return row ? fromJson(row.aggregate) : undefined;
  }

  async saveBucket(m: SqlRunner, route: string, endpoint: string, bucket: string, merged: EndpointAggregate): Promise<void> {
    await m.query(
      `INSERT INTO mirror_endpoint_reports (route, endpoint, bucket, seen, sampled, compared, aggregate) VALUES ($1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT (route, bucket, endpoint) DO UPDATE SET seen = EXCLUDED.seen, sampled = EXCLUDED.sampled, compared = EXCLUDED.compared,
               aggregate = EXCLUDED.aggregate, updated_at = now()`,
      [route, endpoint, bucket, merged.seen, merged.sampled, merged.compared, JSON.stringify(merged)],
    );
  }

  /** Every endpoint's hours from `from` on. */
  async bucketsSince(m: SqlRunner, route: string, from: string): Promise<EndpointBucket[]> {
    const rows = (await m.query(`SELECT endpoint, bucket, aggregate FROM mirror_endpoint_reports WHERE route = $1 AND bucket >= $2`, [
      route,
      from,
    ])) as BucketRow[];
    return rows.map(toBucket);
  }

  /** The same, oldest hour first (a report's order). */
  async orderedBucketsSince(db: SqlRunner, route: string, from: string): Promise<EndpointBucket[]> {
    const rows = (await db.query(
      `SELECT endpoint, bucket, aggregate FROM mirror_endpoint_reports WHERE route = $1 AND bucket >= $2 ORDER BY bucket, endpoint`,
      [route, from],
    )) as BucketRow[];
    return rows.map(toBucket);
  }

  async saveBreaker(m: SqlRunner, route: string, breaker: BreakerReport, proxy: string | null): Promise<void> {
    await m.query(
      `INSERT INTO mirror_route_status (route, breaker, reported_by) VALUES ($1, $2, $3)
             ON CONFLICT (route) DO UPDATE SET breaker = EXCLUDED.breaker, reported_by = EXCLUDED.reported_by, updated_at = now()`,
      [route, JSON.stringify(breaker), proxy],
    );
  }

  async breaker(db: SqlRunner, route: string): Promise<BreakerReport | undefined> {
    const [status] = (await db.query(`SELECT breaker FROM mirror_route_status WHERE route = $1`, [route])) as { breaker: BreakerReport | string | null }[];
    return status?.breaker ? fromJson(status.breaker) : undefined;
  }

  /** The route's last verdict (null: none yet), locked for the rest of the transaction. */
  async lockVerdict(m: SqlRunner, route: string): Promise<Verdict | null> {
    const [status] = (await m.query(`SELECT verdict FROM mirror_route_status WHERE route = $1 FOR UPDATE`, [route])) as { verdict: Verdict | null }[];
    return status?.verdict ?? null;
  }

  async saveVerdict(m: SqlRunner, route: string, verdict: Verdict): Promise<void> {
    await m.query(
      `INSERT INTO mirror_route_status (route, verdict) VALUES ($1, $2) ON CONFLICT (route) DO UPDATE SET verdict = EXCLUDED.verdict, updated_at = now()`,
      [route, verdict],
    );
  }

  /** Opens a window on the route, closing the one left open, if any (a route has one candidate at a time). */
  async openWindow(m: SqlRunner, route: string, id: string): Promise<void> {
    await m.query(`UPDATE mirror_report_windows SET closed_at = now() WHERE route = $1 AND closed_at IS NULL`, [route]);
    await m.query(`INSERT INTO mirror_report_windows (id, route) VALUES ($1, $2)`, [id, route]);
  }

  async closeWindow(db: SqlRunner, id: string): Promise<void> {
    await db.query(`UPDATE mirror_report_windows SET closed_at = now() WHERE id = $1 AND closed_at IS NULL`, [id]);
  }

  async findWindow(db: SqlRunner, route: string, id: string): Promise<ReportWindow | undefined> {
    const [row] = (await db.query(`SELECT opened_at, endpoints FROM mirror_report_windows WHERE id = $1 AND route = $2`, [id, route])) as {
      opened_at: Date | string;
      endpoints: Record<string, EndpointAggregate> | string;
    }[];
    return row && { id, openedAt: row.opened_at, endpoints: fromJson(row.endpoints) };
  }

  /** The route's open windows that opened by `since`, locked for the rest of the transaction. */
  async lockOpenWindows(m: SqlRunner, route: string, since: string): Promise<Array<Omit<ReportWindow, 'openedAt'>>> {
    const windows = (await m.query(`SELECT id, endpoints FROM mirror_report_windows WHERE route = $1 AND closed_at IS NULL AND opened_at <= $2 FOR UPDATE`, [
      route,
      since,
    ])) as { id: string; endpoints: Record<string, EndpointAggregate> | string }[];
    return windows.map((window) => ({ id: window.id, endpoints: fromJson(window.endpoints) }));
  }

  async saveWindow(m: SqlRunner, id: string, endpoints: Record<string, EndpointAggregate>): Promise<void> {
    await m.query(`UPDATE mirror_report_windows SET endpoints = $2 WHERE id = $1`, [id, JSON.stringify(endpoints)]);
  }
}
