/** What the server answered for one flag, as kept in memory and in localStorage. */
export interface FlagAnswer {
  key: string;
  value?: unknown;
  variant?: string;
  reason?: string;
  errorCode?: string;
  errorDetails?: string;
  /** `metadata.reason` is the exact OpenFeature reason (OFREP has no DEFAULT, so `reason` may say UNKNOWN). */
  metadata?: { reason?: string };
}

/** OpenFeature reasons, plus CACHED (a last-known value) and the SDK's own error reasons. */
export type Reason = 'STATIC' | 'TARGETING_MATCH' | 'SPLIT' | 'DISABLED' | 'UNKNOWN' | 'DEFAULT' | 'CACHED' | 'ERROR';

export type ErrorCode = 'PROVIDER_NOT_READY' | 'FLAG_NOT_FOUND' | 'TYPE_MISMATCH' | 'TARGETING_KEY_MISSING' | 'PARSE_ERROR' | 'INVALID_CONTEXT' | 'GENERAL';

export interface FlagDetails<T> {
  flagKey: string;
  value: T;
  variant?: string;
  reason: Reason;
  errorCode?: ErrorCode;
  errorMessage?: string;
}

export type EvaluationContext = Record<string, unknown> & { targetingKey?: string };

/** Where the values in memory came from. */
export type ClientStatus = 'loading' | 'ready' | 'stale' | 'error';

/** The part of window.localStorage the SDK uses; any store with these three calls works. */
export interface KeyValueStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export interface ClientOptions {
  /** The Switchyard server, e.g. https://flags.example.com */
  url: string;
  /** A `client:<environment>` token (safe in a page: it reveals evaluated values only). */
  clientToken: string;
  context?: EvaluationContext;
  /** Values rendered on the server (the bulk answer's `flags`), used until the first answer arrives. */
  bootstrap?: FlagAnswer[];
  /** Live updates over Server-Sent Events (default true). */
  stream?: boolean;
  /** Last-known values; default window.localStorage, `false` for none. */
  storage?: KeyValueStorage | false;
  /** How often counted evaluations are sent (default 30 s); `false` sends none. */
  usageIntervalMs?: number | false;
  /** Injected for tests and other runtimes; default globalThis.fetch. */
  fetch?: typeof fetch;
}

export type ClientEvent = 'ready' | 'change' | 'error';

/** `change` carries the keys whose answers changed; `error` an Error whose message says why. */
export type ClientListener = (detail: { keys?: string[]; error?: Error }) => void;
