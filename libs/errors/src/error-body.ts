import { AppError } from './app-error';
import type { ErrorBody } from './error-body.contract';
import type { ErrorCode } from './error-codes';

const CODE_BY_STATUS: Record<number, ErrorCode> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  406: 'NOT_ACCEPTABLE',
  409: 'CONFLICT',
  412: 'PRECONDITION_FAILED',
  413: 'PAYLOAD_TOO_LARGE',
  414: 'URI_TOO_LONG',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  428: 'PRECONDITION_REQUIRED',
  429: 'TOO_MANY_REQUESTS',
  503: 'UNAVAILABLE',
};

/**
 * Nest's HttpException, recognised by its shape: the proxy maps errors with this file too, and its
 * bundle must not load Nest for one instanceof.
 */
interface HttpExceptionLike {
  message: string;
  getStatus(): number;
  getResponse(): string | object;
}

function isHttpException(exception: unknown): exception is HttpExceptionLike {
  const candidate = exception as Partial<HttpExceptionLike> | null;
  return exception instanceof Error && typeof candidate?.getStatus === 'function' && typeof candidate.getResponse === 'function';
}

interface FastifyLikeError {
  statusCode?: number;
  code?: string;
  message?: string;
}

/** Fastify's own messages echo the raw path; these say what is wrong instead. */
const FRAMEWORK_MESSAGES: Record<string, string> = {
  FST_ERR_BAD_URL: 'the request path is not a valid URL (malformed percent-encoding)',
  FST_ERR_MAX_PARAM_LENGTH: 'a path segment is longer than the limit',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'the request body has an unsupported content type; send application/json',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'the request body does not match its Content-Length',
};

/** 1048576 → "1 MiB", 1536 → "1.5 KiB", 100 → "100 bytes". */
export function formatBytes(bytes: number): string {
  for (const [unit, size] of [
    ['MiB', 1024 * 1024],
    ['KiB', 1024],
  ] as const) {
    if (bytes >= size) return `${Number((bytes / size).toFixed(1))} ${unit}`;
  }
  return `${bytes} bytes`;
}

/**
 * Maps anything thrown to the one error shape; internals of a 5xx never reach the client.
 * `bodyLimitBytes` (the route's body limit) lets a 413 say what the limit is.
 */
export function toErrorBody(exception: unknown, requestId: string, bodyLimitBytes?: number): { status: number; body: ErrorBody; internal: boolean } {
  if (exception instanceof AppError) {
    return {
      status: exception.status,
      body: { error: { code: exception.code, message: exception.message, details: exception.details, requestId, ...exception.extra } },
      internal: false,
    };
  }
  if (isHttpException(exception)) {
    const status = exception.getStatus();
    const response = exception.getResponse();
    const message =
      typeof response === 'string'
        ? response
        : typeof response === 'object' && response && 'message' in response
          ? String((response as { message: unknown }).message)
          : exception.message;
    if (status === 413) return tooLarge(requestId, bodyLimitBytes);
    if (status < 500) {
      // Nest wraps Fastify's body-parser failures and its own unmatched-route error as HttpExceptions.
      if (status === 400 && /JSON/.test(message)) {
        return { status, body: { error: { code: 'MALFORMED_JSON', message: 'the request body is not valid JSON', details: [], requestId } }, internal: false };
      }
      const text = status === 404 && message.startsWith('Cannot ') ? `no route matches ${message.slice('Cannot '.length)}` : message;
      return { status, body: { error: { code: CODE_BY_STATUS[status] ?? 'BAD_REQUEST', message: text, details: [], requestId } }, internal: false };
    }
  }
  const fastifyError = exception as FastifyLikeError;
  if (typeof fastifyError?.statusCode === 'number' && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
    const status = fastifyError.statusCode;
    const code: ErrorCode =
      fastifyError.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || /JSON/i.test(fastifyError.message ?? '')
        ? 'MALFORMED_JSON'
        : (CODE_BY_STATUS[status] ?? 'BAD_REQUEST');
    if (status === 413) return tooLarge(requestId, bodyLimitBytes);
    const message =
      code === 'MALFORMED_JSON' ? 'the request body is not valid JSON' : (FRAMEWORK_MESSAGES[fastifyError.code ?? ''] ?? fastifyError.message ?? 'bad request');
    return { status, body: { error: { code, message, details: [], requestId } }, internal: false };
  }
  return {
    status: 500,
    body: { error: { code: 'INTERNAL', message: 'an internal error occurred; quote the request id when reporting it', details: [], requestId } },
    internal: true,
  };
}

function tooLarge(requestId: string, bodyLimitBytes: number | undefined): { status: number; body: ErrorBody; internal: boolean } {
  const limit = bodyLimitBytes ? formatBytes(bodyLimitBytes) : undefined;
  const message = limit ? `the request body is larger than ${limit}` : 'the request body is larger than the limit';
  const details = limit ? [{ path: '(body)', problem: `must be at most ${limit} (${bodyLimitBytes} bytes)` }] : [];
  return { status: 413, body: { error: { code: 'PAYLOAD_TOO_LARGE', message, details, requestId } }, internal: false };
}
