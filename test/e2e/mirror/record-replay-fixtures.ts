import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { runCli } from '../../../apps/cli/src/switchyard-cli';

export const SECRET_TOKEN = 'Bearer tok-4f9e1c-never-in-clear';
export const SECRET_COOKIE = 'session=cookie-77aa21-never-in-clear';
export const SECRET_SET_COOKIE = 'sid=set-cookie-5b5b5b-never-in-clear';
export const ACCOUNT_NUMBER = 'ACCT-31337-never-in-clear';

export interface QuoteServer {
  url: string;
  /** Requests answered so far. */
  served(): number;
  close(): Promise<void>;
}

/**
 * A quotes service: every answer carries a fresh timestamp and request id (noise a replay must
 * cancel), a secret account number (a masked path) and a Set-Cookie. `currency` is the one field
 * a changed candidate answers differently.
 */
export async function startQuoteServer(options: { currency?: string } = {}): Promise<QuoteServer> {
  let served = 0;
  let sequence = 0;
  const server = http.createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      served++;
      const symbol = (request.url ?? '/').split('/').pop()?.split('?')[0] ?? '';
      const body = JSON.stringify({
        symbol,
        price: symbol.length * 10.5,
        currency: options.currency ?? 'USD',
        timestamp: new Date(Date.now() + ++sequence).toISOString(),
        requestId: `${process.hrtime.bigint()}-${sequence}`,
        account: { number: ACCOUNT_NUMBER, tier: 'gold' },
      });
      response.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'set-cookie': SECRET_SET_COOKIE });
      response.end(body);
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    served: () => served,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** `switchyard replay …` in process, as the bundled CLI runs it. */
export async function replay(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(['replay', ...args], {
    env: {},
    cwd: process.cwd(),
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
  });
  return { code, stdout, stderr };
}

/** Sends `count` GETs through the proxy, `concurrency` at a time, with credentials a capture must mask. */
export async function sendQuotes(proxyUrl: string, count: number, options: { concurrency?: number; symbols?: number; everyMs?: number } = {}): Promise<void> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.concurrency ?? 32 });
  const symbols = options.symbols ?? 20;
  let next = 0;
  const one = (i: number) =>
    new Promise<void>((resolve, reject) => {
      const request = http.get(
        `${proxyUrl}/quotes/SYM${i % symbols}`,
        { agent, headers: { authorization: SECRET_TOKEN, cookie: SECRET_COOKIE, 'x-user-id': `u${i}` } },
        (response) => {
          response.resume();
          response.on('end', () => (response.statusCode === 200 ? resolve() : reject(new Error(`status ${response.statusCode}`))));
        },
      );
      request.on('error', reject);
    });
  const workers = Array.from({ length: options.everyMs ? 1 : (options.concurrency ?? 32) }, async () => {
    while (next < count) {
      const i = next++;
      const started = performance.now();
      await one(i);
      // Paced traffic (the replay-speed case): a steady request rate, not a wait for an event.
      if (options.everyMs) await new Promise((resolve) => setTimeout(resolve, Math.max(0, options.everyMs! - (performance.now() - started))));
    }
  });
  await Promise.all(workers);
  agent.destroy();
}
