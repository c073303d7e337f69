import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port';

export interface Traffic {
  /** Requests per second the track serves. */
  rps: number;
  /** Share of them answered 5xx (0.05 = 5 %). */
  errorRate: number;
}

interface Series {
  service: string;
  track: string;
  traffic: Traffic;
  ok: number;
  errors: number;
  lastMs: number;
}

/**
 * A /metrics endpoint whose `http_requests_total{service,track,code}` counters grow at the rates
 * the test sets, as a service's pods would (canary and stable tracks). Counters advance by elapsed
 * time at each scrape, so Prometheus's rate() over them is the rate the test asked for.
 */
export class FixtureExporter {
  private readonly series = new Map<string, Series>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(): Promise<FixtureExporter> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const exporter = new FixtureExporter(server, (server.address() as AddressInfo).port);
    server.on('request', (req, res) => {
      if (req.url !== '/metrics') {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      res.end(exporter.render());
    });
    return exporter;
  }

  get target(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Sets (or changes) a track's traffic from now on; counters keep what they counted so far. */
  setTraffic(service: string, track: 'canary' | 'stable', traffic: Traffic): void {
    const key = `${service}/${track}`;
    const existing = this.series.get(key);
    if (existing) {
      this.advance(existing, Date.now());
      existing.traffic = traffic;
    } else this.series.set(key, { service, track, traffic, ok: 0, errors: 0, lastMs: Date.now() });
  }

  render(): string {
    const now = Date.now();
    const lines = ['# HELP http_requests_total Requests served, by service, track and status code.', '# TYPE http_requests_total counter'];
    for (const series of this.series.values()) {
      this.advance(series, now);
      const labels = `service="${series.service}",track="${series.track}"`;
      lines.push(`http_requests_total{${labels},code="200"} ${series.ok.toFixed(3)}`);
      lines.push(`http_requests_total{${labels},code="500"} ${series.errors.toFixed(3)}`);
    }
    return `${lines.join('\n')}\n`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private advance(series: Series, now: number): void {
    const seconds = (now - series.lastMs) / 1000;
    series.lastMs = now;
    const requests = series.traffic.rps * seconds;
    series.errors += requests * series.traffic.errorRate;
    series.ok += requests * (1 - series.traffic.errorRate);
  }
}

/**
 * Debian's `prometheus` on a free loopback port, with its own data directory and a generated
 * configuration scraping the given targets every second.
 */
export class PrivatePrometheus {
  private constructor(
    private readonly child: ChildProcess,
    private readonly dir: string,
    readonly port: number,
    private readonly output: () => string,
  ) {}

  static async start(targets: string[], options: { scrapeIntervalSeconds?: number } = {}): Promise<PrivatePrometheus> {
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-prometheus-'));
    const port = await freePort();
    const interval = `${options.scrapeIntervalSeconds ?? 1}s`;
    writeFileSync(
      join(dir, 'prometheus.yml'),
      [
        'global:',
        `  scrape_interval: ${interval}`,
        `  evaluation_interval: ${interval}`,
        'scrape_configs:',
        '  - job_name: fixture',
        `    scrape_interval: ${interval}`,
        `    scrape_timeout: ${interval}`,
        '    static_configs:',
        `      - targets: [${targets.map((t) => `'${t}'`).join(', ')}]`,
        '',
      ].join('\n'),
    );
    const child = spawn(
      'prometheus',
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--storage.tsdb.retention.time=1h',
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
    child.stderr?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
    const prometheus = new PrivatePrometheus(child, dir, port, () => output);
    const deadline = Date.now() + 20_000;
    for (;;) {
      if (child.exitCode !== null) {
        rmSync(dir, { recursive: true, force: true });
        throw new Error(`prometheus exited (${child.exitCode}):\n${output}`);
      }
      const ready = await fetch(`${prometheus.url}/-/ready`).then(
        (res) => res.ok,
        () => false,
      );
      if (ready) return prometheus;
      if (Date.now() > deadline) {
        await prometheus.stop();
        throw new Error(`prometheus did not become ready within 20 s:\n${output}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** An instant query's single value, or undefined when there is no data (or it is NaN). */
  async value(query: string): Promise<number | undefined> {
    const res = await fetch(`${this.url}/api/v1/query?${new URLSearchParams({ query }).toString()}`);
    const body = (await res.json()) as { status: string; data?: { result: Array<{ value: [number, string] }> } };
    const raw = body.data?.result[0]?.value[1];
    const value = raw === undefined ? undefined : Number(raw);
    return value !== undefined && Number.isFinite(value) ? value : undefined;
  }

  /** Waits until a query's value satisfies `accept` (data has been scraped, a rate has settled). */
  async waitForValue(query: string, accept: (value: number) => boolean, timeoutMs = 15_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    let last: number | undefined;
    for (;;) {
      last = await this.value(query);
      if (last !== undefined && accept(last)) return last;
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${query} (last value: ${String(last)})\n${this.output()}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null) {
      await new Promise<void>((resolve) => {
        this.child.once('exit', () => resolve());
        this.child.kill('SIGTERM');
        setTimeout(() => this.child.kill('SIGKILL'), 5000).unref();
      });
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
