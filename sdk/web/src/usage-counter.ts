interface BeaconGlobals {
  navigator?: { sendBeacon?(url: string, data: Blob): boolean };
}

/** At most this many (flag, variant) pairs per post: the server's limit. */
const MAX_ENTRIES = 1000;

/**
 * Counts evaluations per (flag, variant) and sends them in batches. navigator.sendBeacon survives
 * the page closing but cannot set headers, so the token rides in the body, as text/plain (a
 * CORS-safelisted type: no preflight a closing page would not wait for).
 */
export class UsageCounter {
  private counts = new Map<string, number>();
  private start = new Date().toISOString();

  constructor(
    private readonly endpoint: string,
    private readonly clientToken: string,
    private readonly fetcher: typeof fetch,
  ) {}

  count(flag: string, variant: string | undefined): void {
    const key = `${flag}\u0000${variant ?? ''}`;
    if (this.counts.size < MAX_ENTRIES || this.counts.has(key)) this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }

  /** Sends what was counted since the last flush; true when there was something to send. */
  flush(): boolean {
    if (this.counts.size === 0) return false;
    const counts = [...this.counts].map(([key, count]) => {
      const [flag, variant] = key.split('\u0000');
      return { flag, variant: variant || null, count };
    });
    const end = new Date().toISOString();
    const body = JSON.stringify({ clientToken: this.clientToken, start: this.start, end, counts });
    this.counts = new Map();
    this.start = end;
    const beacon = (globalThis as BeaconGlobals).navigator?.sendBeacon;
    let sent: boolean;
    try {
      sent = beacon ? beacon.call((globalThis as BeaconGlobals).navigator, this.endpoint, new Blob([body], { type: 'text/plain' })) : false;
    } catch {
      sent = false;
    }
    if (!sent) this.fetcher(this.endpoint, { method: 'POST', body, headers: { 'content-type': 'text/plain' }, keepalive: true }).catch(() => undefined);
    return true;
  }
}
