import { spawn, type ChildProcess } from 'node:child_process';
import http, { type IncomingHttpHeaders } from 'node:http';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

/** See fixture-server.mjs for what each flavour does. */
export type Flavour = 'primary' | 'match' | 'changed' | 'slow' | 'huge' | 'garbage';

export const SLOW_MS = 3000;

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface Fixtures<N extends string> {
  urls: Record<N, string>;
  requests(name: N): Promise<RecordedRequest[]>;
  close(): Promise<void>;
}

/**
 * Starts fixture upstreams in a child process (their work must not run on the event loop of
 * the proxy under test, or latency figures would measure the fixtures).
 */
export async function startFixtures<N extends string>(spec: Record<N, Flavour>): Promise<Fixtures<N>> {
  const child: ChildProcess = spawn(process.execPath, [join(__dirname, 'fixture-server.mjs'), JSON.stringify(spec)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const urls = await new Promise<Record<N, string>>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.once('line', (line) => resolve(JSON.parse(line) as Record<N, string>));
    child.once('exit', (code) => reject(new Error(`fixture server exited with ${code}`)));
  });
  return {
    urls,
    async requests(name) {
      const res = await fetch(`${urls[name]}/__fixture/requests`);
      return (await res.json()) as RecordedRequest[];
    },
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.stdin!.end();
      }),
  };
}

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  ms: number;
}

/** A request with the bytes exactly as they came off the wire (no decompression), and its latency. */
export function send(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string | Buffer; agent?: http.Agent } = {},
): Promise<RawResponse> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method: options.method ?? 'GET', headers: options.headers, agent: options.agent }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks), ms: performance.now() - started }),
      );
      response.on('error', reject);
    });
    request.on('error', reject);
    request.end(options.body);
  });
}

export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** Runs `total` jobs with at most `concurrency` at a time. */
export async function inBatches(total: number, concurrency: number, job: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) await job(next++);
    }),
  );
}
