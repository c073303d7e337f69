import { MAX_CLIENT_CONTEXT_BYTES } from './client-access.service';

export interface ClientContextFailure {
  key?: string;
  errorCode: 'INVALID_CONTEXT';
  errorDetails: string;
}

/**
 * A browser's `{context}`: a JSON object of at most MAX_CLIENT_CONTEXT_BYTES. Its canonical JSON
 * (keys sorted) is what ETags and stream groups hash, so `{a,b}` and `{b,a}` share a group.
 */
export function clientContextOf(
  body: unknown,
  key?: string,
): { context: Record<string, unknown>; contextJson: string; failure?: undefined } | { failure: ClientContextFailure } {
  const raw = body === undefined || body === null ? {} : (body as { context?: unknown }).context;
  const context = raw === undefined ? {} : raw;
  if (typeof body !== 'object' && body !== undefined && body !== null) return { failure: fail('the body must be a JSON object with a context', key) };
  if (typeof context !== 'object' || context === null || Array.isArray(context)) return { failure: fail('context must be a JSON object', key) };
  const contextJson = canonicalJson(context);
  if (Buffer.byteLength(contextJson) > MAX_CLIENT_CONTEXT_BYTES)
    return { failure: fail(`context must be at most ${MAX_CLIENT_CONTEXT_BYTES} bytes of JSON`, key) };
  return { context: context as Record<string, unknown>, contextJson };
}

function fail(errorDetails: string, key?: string): ClientContextFailure {
  return { ...(key ? { key } : {}), errorCode: 'INVALID_CONTEXT', errorDetails };
}

function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    inner && typeof inner === 'object' && !Array.isArray(inner)
      ? Object.fromEntries(Object.entries(inner as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : inner,
  );
}
