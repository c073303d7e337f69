import { ServerRejectedError, ServerUnreachableError } from '../http/server-errors';
import type { JsonObject } from './flag-documents';

export { ServerRejectedError, ServerUnreachableError };

export interface WriteAnswer {
  status: number;
  body: unknown;
  /** The resource's version from its ETag, when the server sent one. */
  version?: number;
}

const READ_ATTEMPTS = 4;
const TIMEOUT_MS = 15_000;

/**
 * The admin API's flags, segments and environments over Node's fetch. Reads are retried while the
 * server cannot be reached; writes are sent once (the plan is re-read and re-planned instead).
 */
export class FlagsAdminClient {
  readonly serverUrl: string;

  constructor(
    serverUrl: string,
    private readonly token: string | undefined,
  ) {
    this.serverUrl = serverUrl.replace(/\/+$/, '');
  }

  async list(path: string): Promise<JsonObject[]> {
    const body = (await this.read(path)) as { items?: JsonObject[] };
    return body.items ?? [];
  }

  async read(path: string): Promise<unknown> {
    let reason = '';
    for (let attempt = 1; attempt <= READ_ATTEMPTS; attempt++) {
      try {
        const answer = await this.send('GET', path, undefined, {});
        return answer.body;
      } catch (error) {
        if (!(error instanceof ServerUnreachableError)) throw error;
        reason = error.reason;
        await new Promise((resolve) => setTimeout(resolve, 250 * attempt));
      }
    }
    throw new ServerUnreachableError(this.serverUrl, READ_ATTEMPTS, reason);
  }

  write(method: 'POST' | 'PATCH' | 'DELETE', path: string, body: JsonObject | undefined, headers: Record<string, string>): Promise<WriteAnswer> {
    return this.send(method, path, body, headers);
  }

  private async send(method: string, path: string, body: unknown, headers: Record<string, string>): Promise<WriteAnswer> {
    let response: Response;
    try {
      response = await fetch(`${this.serverUrl}${path}`, {
        method,
        headers: {
          accept: 'application/json',
          ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...headers,
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new ServerUnreachableError(this.serverUrl, 1, cause?.code ?? cause?.message ?? (error as Error).message);
    }
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // Not JSON (a proxy's error page): kept as text.
      parsed = text;
    }
    if (!response.ok) {
      const problem = (parsed as { error?: { code?: string; message?: string; details?: Array<{ path: string; problem: string }> } } | undefined)?.error;
      throw new ServerRejectedError(
        response.status,
        problem?.code ?? `HTTP_${response.status}`,
        problem?.message ?? `HTTP ${response.status} ${response.statusText}`,
        problem?.details ?? [],
      );
    }
    const etag = /^(?:W\/)?"?(\d+)"?$/.exec(response.headers.get('etag') ?? '');
    return { status: response.status, body: parsed, version: etag ? Number(etag[1]) : undefined };
  }
}

/** One line for a failed call, with the server's reasons and a hint for the usual causes. */
export function describeServerError(error: unknown, serverUrl: string): string {
  if (error instanceof ServerUnreachableError) return error.message;
  if (error instanceof ServerRejectedError) {
    const details = error.details.map((d) => `\n  ${d.path}: ${d.problem}`).join('');
    const hint =
      error.status === 401
        ? ' (set SWITCHYARD_TOKEN or pass --token)'
        : error.status === 403
          ? ' (export needs a token with "flags:read"; apply needs "flags:write", and "admin" to create or change environments)'
          : error.status === 428
            ? ' (pass --confirm <environment> to confirm changes there)'
            : '';
    return `${serverUrl} answered ${error.status} ${error.code}: ${error.message}${hint}${details}`;
  }
  return error instanceof Error ? error.message : String(error);
}
