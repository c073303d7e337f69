import { emptyEndpointAggregate, type RouteAggregate } from '@switchyard/mirror';
import { everyMinute, ReportHistory } from './report-history';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const T0 = Date.UTC(2026, 10, 26, 12, 0, 0);

/** A drained period that saw `seen` requests on one endpoint. */
function period(since: number, seen: number, endpoint = 'GET /quotes/:symbol'): RouteAggregate {
  return { route: 'quotes', since: new Date(since).toISOString(), endpoints: [{ ...emptyEndpointAggregate(endpoint), seen, sampled: seen, compared: seen }] };
}

const nothing = (at: number): RouteAggregate => ({ route: 'quotes', since: new Date(at).toISOString(), endpoints: [] });

function seen(aggregate: RouteAggregate): number {
  return aggregate.endpoints.reduce((sum, endpoint) => sum + endpoint.seen, 0);
}

describe('ReportHistory', () => {
  let now = T0;
  const history = (options: { ships?: boolean } = {}) => new ReportHistory('quotes', { ...options, now: () => now });

  /** Minute by minute from T0: `counts[i]` requests drained at the end of minute i. */
  function fill(target: ReportHistory, counts: number[]): void {
    counts.forEach((count, i) => {
      now = T0 + (i + 1) * MINUTE;
      target.add(period(T0 + i * MINUTE, count));
    });
  }

  beforeEach(() => {
    now = T0;
  });

  it('reports the whole run without since, and from the minute that holds since with it', () => {
    const h = history();
    fill(h, [1, 2, 4]);
    now += 10_000;
    const current = period(T0 + 3 * MINUTE, 8);

    expect(h.aggregate(current)).toMatchObject({ since: new Date(T0).toISOString() });
    expect(seen(h.aggregate(current))).toBe(15);
    // 12:01:30 lies in the second minute: it counts, as the hour holding `since` does on the server.
    const since = new Date(T0 + 90_000);
    expect(h.aggregate(current, since).since).toBe(since.toISOString());
    expect(seen(h.aggregate(current, since))).toBe(2 + 4 + 8);
    expect(seen(h.aggregate(current, new Date(T0 + 3 * MINUTE)))).toBe(8);
    expect(seen(h.aggregate(nothing(now), new Date(T0 + 3 * MINUTE)))).toBe(0);
  });

  it('sees nothing from a since in the future', () => {
    const h = history();
    fill(h, [5, 5]);
    const future = new Date(now + HOUR);
    const aggregate = h.aggregate(period(now, 3), future);
    expect(aggregate.endpoints).toEqual([]);
    expect(aggregate.since).toBe(future.toISOString());
  });

  it('merges endpoints across buckets', () => {
    const h = history();
    now = T0 + MINUTE;
    h.add(period(T0, 1, 'GET /a'));
    now = T0 + 2 * MINUTE;
    h.add(period(T0 + MINUTE, 2, 'GET /b'));
    h.add(period(T0 + MINUTE + 30_000, 3, 'GET /a'));
    const byEndpoint = Object.fromEntries(h.aggregate(nothing(now)).endpoints.map((endpoint) => [endpoint.endpoint, endpoint.seen]));
    expect(byEndpoint).toEqual({ 'GET /a': 4, 'GET /b': 2 });
  });

  it('folds minutes into hours after an hour and hours into one older bucket after a day, bounded however long it runs', () => {
    const h = history();
    const minutes = 3 * 24 * 60;
    let most = 0;
    for (let i = 0; i < minutes; i++) {
      now = T0 + (i + 1) * MINUTE;
      h.add(period(T0 + i * MINUTE, 1));
      most = Math.max(most, h.bucketCount);
    }
    expect(most).toBeLessThanOrEqual(60 + 24 + 1);
    expect(seen(h.aggregate(nothing(now)))).toBe(minutes);

    // The last 30 minutes, minute by minute.
    expect(seen(h.aggregate(nothing(now), new Date(now - 30 * MINUTE)))).toBe(30);
    // Five hours back reaches into the hour buckets: whole hours, counted from the hour holding since.
    const fiveHoursBack = now - 5 * HOUR - 20 * MINUTE;
    expect(seen(h.aggregate(nothing(now), new Date(fiveHoursBack)))).toBe(5 * 60 + 60);
    // Two days back is older than the hour buckets (the 23 finished hours before this one): that
    // traffic is left out, and `since` says where the report really starts.
    const answer = h.aggregate(nothing(now), new Date(now - 2 * 24 * HOUR));
    expect(seen(answer)).toBe(23 * 60);
    expect(answer.since).toBe(new Date(now - 23 * HOUR).toISOString());
    // A since before the start includes everything again.
    expect(seen(h.aggregate(nothing(now), new Date(T0 - HOUR)))).toBe(minutes);
  });

  it('counts an hour that holds only some folded minutes from those minutes on', () => {
    const h = history();
    // Traffic in the first five minutes of 12:00, then quiet until 13:10: those minutes are folded into 12:00.
    fill(h, [1, 1, 1, 1, 1]);
    now = T0 + 70 * MINUTE;
    h.add(period(now - MINUTE, 10));
    expect(h.bucketCount).toBe(2);
    expect(seen(h.aggregate(nothing(now), new Date(T0 + 30 * MINUTE)))).toBe(10);
    expect(seen(h.aggregate(nothing(now), new Date(T0 + 2 * MINUTE)))).toBe(15);
  });

  it('keeps added periods for the next takeUnshipped only when it ships', () => {
    const shipping = history({ ships: true });
    fill(shipping, [1, 2]);
    expect(seen(shipping.takeUnshipped()!)).toBe(3);
    expect(shipping.takeUnshipped()).toBeUndefined();
    shipping.add(nothing(now));
    expect(shipping.takeUnshipped()).toBeUndefined();

    const local = history();
    fill(local, [1, 2]);
    expect(local.takeUnshipped()).toBeUndefined();
    expect(seen(local.aggregate(nothing(now)))).toBe(3);
  });
});

describe('everyMinute', () => {
  it('ticks at each minute boundary, scheduling the next tick from the clock each time', async () => {
    // A clock 5 ms before a boundary each time it is read: every tick is due 5 ms later.
    let minute = 1;
    const clock = () => minute++ * MINUTE - 5;
    let ticks = 0;
    let stop: () => void = () => undefined;
    await new Promise<void>((resolve) => {
      stop = everyMinute(() => {
        ticks++;
        if (ticks === 3) resolve();
      }, clock);
    });
    stop();
    expect(ticks).toBe(3);
  });
});
