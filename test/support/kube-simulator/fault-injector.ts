import type { IncomingMessage, ServerResponse } from 'node:http';

/** The switch a test flips to make the API server behave like one on a bad day. */
export interface FaultOptions {
  /** Share of requests (watches excepted) whose connection is reset before an answer: 0.1 resets one in ten. */
  resetRate?: number;
  /** Share of requests answered 429 Too Many Requests with `Retry-After: 1`, as API priority and fairness does. */
  throttleRate?: number;
  /** Share of requests answered 503 (an API server restarting behind its load balancer). */
  unavailableRate?: number;
  /** Every open watch is cut (the connection reset) after a random time up to this many milliseconds. */
  dropWatchesWithinMs?: number;
}

export interface FaultCounts {
  resets: number;
  throttled: number;
  unavailable: number;
  watchesDropped: number;
}

/**
 * Fault injection for the simulator: resets connections, throttles, answers 503 and cuts watches
 * at random, so a client's retries and re-watches are exercised against the real failure shapes
 * (a socket that closes without an answer, a Status with Retry-After, a watch stream that just ends).
 */
export class FaultInjector {
  private options: FaultOptions = {};
  readonly counts: FaultCounts = { resets: 0, throttled: 0, unavailable: 0, watchesDropped: 0 };

  set(options: FaultOptions): void {
    this.options = { ...options };
  }

  clear(): void {
    this.options = {};
  }

  get active(): boolean {
    return Object.values(this.options).some((value) => typeof value === 'number' && value > 0);
  }

  /**
   * Called before a request is served; true when the fault took the request (the caller stops).
   * Resets destroy the socket, so the client sees ECONNRESET / "socket hang up", not an HTTP answer.
   */
  intercept(req: IncomingMessage, res: ServerResponse, watch: boolean): boolean {
    if (!this.active || watch) return false;
    const roll = Math.random();
    const reset = this.options.resetRate ?? 0;
    const throttle = this.options.throttleRate ?? 0;
    const unavailable = this.options.unavailableRate ?? 0;
    if (roll < reset) {
      this.counts.resets += 1;
      req.socket.destroy();
      return true;
    }
    if (roll < reset + throttle) {
      this.counts.throttled += 1;
      status(res, 429, 'TooManyRequests', 'Too many requests, please try again later.', { 'retry-after': '1' });
      return true;
    }
    if (roll < reset + throttle + unavailable) {
      this.counts.unavailable += 1;
      status(res, 503, 'ServiceUnavailable', 'the server is currently unable to handle the request', {});
      return true;
    }
    return false;
  }

  /** Arms the watch-drop timer for an open watch response. */
  armWatch(res: ServerResponse): void {
    const within = this.options.dropWatchesWithinMs ?? 0;
    if (within <= 0) return;
    const timer = setTimeout(
      () => {
        if (res.writableEnded || res.destroyed) return;
        this.counts.watchesDropped += 1;
        res.socket?.destroy();
      },
      Math.max(50, Math.random() * within),
    );
    timer.unref();
    res.on('close', () => clearTimeout(timer));
  }
}

function status(res: ServerResponse, code: number, reason: string, message: string, headers: Record<string, string>): void {
  const body = JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code });
  res.writeHead(code, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers });
  res.end(body);
}
