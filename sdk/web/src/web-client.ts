import { canonicalJson } from './context-key';
import { readFrames } from './event-stream-reader';
import { LastKnownValues } from './last-known-values';
import type { ClientEvent, ClientListener, ClientOptions, ClientStatus, ErrorCode, EvaluationContext, FlagAnswer, FlagDetails, KeyValueStorage } from './types';
import { UsageCounter } from './usage-counter';

interface PageGlobals {
  localStorage?: KeyValueStorage;
  addEventListener?(type: string, listener: () => void): void;
  removeEventListener?(type: string, listener: () => void): void;
  document?: { visibilityState?: string };
}

type FlagType = 'boolean' | 'string' | 'number' | 'object';

const MAX_RETRY_MS = 30_000;

/** A refusal the server explained: OFREP's `{errorCode, errorDetails}` or the API's `{error:{code,message}}`. */
async function refusal(response: Response): Promise<Error> {
  let reason = `the server answered ${response.status}`;
  try {
    const body = (await response.json()) as { errorCode?: string; errorDetails?: string; error?: { code?: string; message?: string } };
    if (body.errorCode) reason = `${body.errorCode}: ${body.errorDetails ?? ''}`;
    else if (body.error?.message) reason = `${body.error.code ?? response.status}: ${body.error.message}`;
  } catch {
    // Not JSON: the status says enough.
  }
  return new Error(reason);
}

/** fetch() rejects the same way for a server that is down and for a CORS refusal: say both. */
function unreachable(error: unknown): Error {
  return new Error(`the flag server could not be reached or refused this page's origin (CORS): ${(error as Error).message}`);
}

/**
 * Feature flags in a browser. Values come evaluated from the server (a client token never sees
 * rules), are kept in memory so every get*Value is synchronous, are updated live over SSE, and are
 * saved per context in localStorage for the next load. Getters never throw: without an answer they
 * return the default with a reason saying why.
 */
export class SwitchyardWebClient {
  status: ClientStatus = 'loading';
  /** Why the last request failed, if it did (also sent as an `error` event). */
  lastError?: Error;
  /** Resolves after the first answer — from the server, or its failure (then cached or default values serve). */
  readonly ready: Promise<void>;

  private answers = new Map<string, FlagAnswer>();
  private fromCache = false;
  private etag?: string;
  private context: EvaluationContext;
  private contextJson: string;
  private readonly base: string;
  private readonly fetcher: typeof fetch;
  private readonly saved: LastKnownValues;
  private readonly usage?: UsageCounter;
  private readonly listeners = new Map<ClientEvent, Set<ClientListener>>();
  private stream?: AbortController;
  private retryTimer?: ReturnType<typeof setTimeout>;
  private usageTimer?: ReturnType<typeof setInterval>;
  private failures = 0;
  private closed = false;
  /** Bumped by setContext: answers for an older context are dropped. */
  private generation = 0;
  private readonly onPageHide = () => this.usage?.flush();

  constructor(private readonly options: ClientOptions) {
    this.base = options.url.replace(/\/+$/, '');
    this.fetcher = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    const page = globalThis as PageGlobals;
    let storage: KeyValueStorage | undefined;
    try {
      storage = options.storage === false ? undefined : (options.storage ?? page.localStorage);
    } catch {
      // localStorage throws in some sandboxed frames.
    }
    this.saved = new LastKnownValues(storage, this.base, options.clientToken);
    this.context = options.context ?? {};
    this.contextJson = canonicalJson(this.context);
    if (options.bootstrap) this.install(options.bootstrap, undefined, false);
    else this.restore();
    if (options.usageIntervalMs !== false) {
      this.usage = new UsageCounter(`${this.base}/client/v1/usage`, options.clientToken, this.fetcher);
      this.usageTimer = setInterval(() => this.usage?.flush(), options.usageIntervalMs ?? 30_000);
      page.addEventListener?.('pagehide', this.onPageHide);
    }
    this.ready = this.refresh(this.generation);
    // The stream runs for the page's life: `ready` does not wait for it.
    void this.ready.then(() => this.connect(0));
  }

  getBooleanValue(key: string, defaultValue: boolean): boolean {
    return this.evaluate(key, defaultValue, 'boolean').value;
  }
  getStringValue(key: string, defaultValue: string): string {
    return this.evaluate(key, defaultValue, 'string').value;
  }
  getNumberValue(key: string, defaultValue: number): number {
    return this.evaluate(key, defaultValue, 'number').value;
  }
  getObjectValue<T extends object>(key: string, defaultValue: T): T {
    return this.evaluate(key, defaultValue, 'object').value;
  }
  getBooleanDetails(key: string, defaultValue: boolean): FlagDetails<boolean> {
    return this.evaluate(key, defaultValue, 'boolean');
  }
  getStringDetails(key: string, defaultValue: string): FlagDetails<string> {
    return this.evaluate(key, defaultValue, 'string');
  }
  getNumberDetails(key: string, defaultValue: number): FlagDetails<number> {
    return this.evaluate(key, defaultValue, 'number');
  }
  getObjectDetails<T extends object>(key: string, defaultValue: T): FlagDetails<T> {
    return this.evaluate(key, defaultValue, 'object');
  }

  /** The raw answer for a flag (what React bindings compare to decide whether to re-render). */
  answer(key: string): FlagAnswer | undefined {
    return this.answers.get(key);
  }

  getContext(): EvaluationContext {
    return this.context;
  }

  /** Re-evaluates for another context: one bulk request (ETag-aware), then the stream follows it. */
  async setContext(context: EvaluationContext): Promise<void> {
    const json = canonicalJson(context);
    if (json === this.contextJson) return;
    this.context = context;
    this.contextJson = json;
    const generation = ++this.generation;
    this.stream?.abort();
    clearTimeout(this.retryTimer);
    this.etag = undefined;
    // Last-known values of that context, if any, until the answer arrives.
    this.restore();
    await this.refresh(generation);
    void this.connect(generation);
  }

  on(event: ClientEvent, listener: ClientListener): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener);
    return () => set.delete(listener);
  }

  /** Sends the counted evaluations now (also done on a timer and when the page is hidden). */
  flushUsage(): void {
    this.usage?.flush();
  }

  close(): void {
    this.closed = true;
    this.stream?.abort();
    clearTimeout(this.retryTimer);
    clearInterval(this.usageTimer);
    this.usage?.flush();
    (globalThis as PageGlobals).removeEventListener?.('pagehide', this.onPageHide);
  }

  private evaluate<T>(key: string, defaultValue: T, type: FlagType): FlagDetails<T> {
    const answer = this.answers.get(key);
    const fail = (errorCode: ErrorCode, errorMessage: string): FlagDetails<T> => ({
      flagKey: key,
      value: defaultValue,
      reason: 'ERROR',
      errorCode,
      errorMessage,
    });
    if (!answer) {
      if (this.status === 'loading') return fail('PROVIDER_NOT_READY', 'no answer from the server yet');
      if (this.lastError && this.answers.size === 0) return fail('GENERAL', this.lastError.message);
      return fail('FLAG_NOT_FOUND', `flag ${key} is not available to this client token`);
    }
    if (answer.errorCode) return fail(answer.errorCode as ErrorCode, answer.errorDetails ?? answer.errorCode);
    const value = answer.value;
    const actual = value === null || Array.isArray(value) ? 'object' : typeof value;
    if (actual !== type) return fail('TYPE_MISMATCH', `flag ${key} is a ${actual}, not a ${type}`);
    this.usage?.count(key, answer.variant);
    return {
      flagKey: key,
      value: value as T,
      variant: answer.variant,
      reason: (this.fromCache ? 'CACHED' : (answer.metadata?.reason ?? answer.reason ?? 'UNKNOWN')) as FlagDetails<T>['reason'],
    };
  }

  /** Last-known values of the current context; their ETag lets the server answer 304 if they are still current. */
  private restore(): void {
    const saved = this.saved.load(this.contextJson);
    if (!saved) return;
    this.install(saved.flags, undefined, true);
    this.etag = saved.etag;
  }

  /** One bulk evaluation for the current context. */
  private async refresh(generation: number): Promise<void> {
    try {
      const response = await this.fetcher(`${this.base}/ofrep/v1/evaluate/flags`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${this.options.clientToken}`,
          'content-type': 'application/json',
          ...(this.etag ? { 'if-none-match': this.etag } : {}),
        },
        body: JSON.stringify({ context: this.context }),
      });
      if (generation !== this.generation) return;
      if (response.status === 304) return this.install([...this.answers.values()], this.etag, false);
      if (!response.ok) return this.failed(await refusal(response));
      const body = (await response.json()) as { flags: FlagAnswer[] };
      if (generation !== this.generation) return;
      this.install(body.flags, response.headers.get('etag') ?? undefined, false);
    } catch (error) {
      if (generation === this.generation) this.failed(unreachable(error));
    }
  }

  /** Opens the live stream; on any end it reconnects with backoff (or after Retry-After). */
  private async connect(generation: number): Promise<void> {
    if (this.options.stream === false || this.closed || generation !== this.generation) return;
    const controller = new AbortController();
    this.stream = controller;
    let retryAfter = 0;
    try {
      const response = await this.fetcher(`${this.base}/client/v1/stream`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${this.options.clientToken}`,
          'content-type': 'application/json',
          accept: 'text/event-stream',
          ...(this.etag ? { 'last-event-id': this.etag } : {}),
        },
        body: JSON.stringify({ context: this.context }),
        signal: controller.signal,
      });
      if (!response.ok || !response.body) {
        retryAfter = Number(response.headers.get('retry-after')) * 1000 || 0;
        this.failed(await refusal(response));
      } else {
        this.failures = 0;
        await readFrames(response.body, (frame) => {
          if (generation !== this.generation) return;
          const values = JSON.parse(frame.data) as { flags: FlagAnswer[]; removed?: string[]; etag?: string };
          if (frame.event === 'values') this.install(values.flags, values.etag ?? frame.id, false);
          else if (frame.event === 'changes') {
            // Only what changed: merged into the answers held.
            const merged = new Map(this.answers);
            for (const flag of values.flags) merged.set(flag.key, flag);
            for (const key of values.removed ?? []) merged.delete(key);
            this.install([...merged.values()], values.etag ?? frame.id, false);
          }
        });
      }
    } catch (error) {
      if (controller.signal.aborted) return;
      this.failed(unreachable(error));
    }
    if (this.closed || generation !== this.generation || controller.signal.aborted) return;
    this.failures += 1;
    const backoff = Math.min(MAX_RETRY_MS, 500 * 2 ** Math.min(this.failures, 6)) * (0.5 + Math.random() / 2);
    this.retryTimer = setTimeout(() => void this.connect(generation), Math.max(retryAfter, backoff));
  }

  private install(flags: FlagAnswer[], etag: string | undefined, cached: boolean): void {
    const next = new Map(flags.map((flag) => [flag.key, flag]));
    const changed: string[] = [];
    for (const key of new Set([...this.answers.keys(), ...next.keys()])) {
      const previous = this.answers.get(key);
      // An unchanged answer keeps its object, so bindings comparing by identity see no change.
      if (JSON.stringify(previous) === JSON.stringify(next.get(key))) next.set(key, previous!);
      else changed.push(key);
    }
    const wasCached = this.fromCache;
    this.answers = next;
    this.fromCache = cached;
    if (!cached) {
      this.etag = etag;
      this.lastError = undefined;
      this.saved.save(this.contextJson, { etag, flags });
    }
    if (!cached) this.settle();
    else if (this.status === 'loading') this.status = 'stale';
    // Leaving the cache changes every reason (CACHED → the server's), so every key counts as changed.
    const keys = wasCached !== cached ? [...next.keys()] : changed;
    if (keys.length) this.emit('change', { keys });
  }

  private settle(): void {
    const first = this.status !== 'ready';
    this.status = 'ready';
    if (first) this.emit('ready', {});
  }

  private failed(error: Error): void {
    this.lastError = error;
    this.status = this.answers.size > 0 ? 'stale' : 'error';
    this.emit('error', { error });
  }

  private emit(event: ClientEvent, detail: { keys?: string[]; error?: Error }): void {
    for (const listener of this.listeners.get(event) ?? []) {
      try {
        listener(detail);
      } catch {
        // A listener's bug must not stop the others or the client.
      }
    }
  }
}

/** Starts a client: cached or bootstrap values at once, the server's answer as soon as it comes. */
export function createClient(options: ClientOptions): SwitchyardWebClient {
  return new SwitchyardWebClient(options);
}
