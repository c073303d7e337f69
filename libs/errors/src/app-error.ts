import type { ErrorDetail } from './error-body.contract';
import type { ErrorCode, ErrorStatus } from './error-codes';

export type { ErrorDetail } from './error-body.contract';

/**
 * Domain code throws AppError subclasses; the global filter renders them as
 * `{ error: { code, message, details, requestId } }`. `extra` carries machine-readable
 * context that clients need (e.g. the current version on a conflict).
 */
export class AppError<C extends ErrorCode = ErrorCode> extends Error {
  /** `code` is one of ERROR_CODES (a free string does not compile); `status` must be the one listed for it. */
  constructor(
    readonly code: C,
    message: string,
    readonly status: ErrorStatus<C>,
    readonly details: ErrorDetail[] = [],
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class ValidationFailedError extends AppError {
  constructor(details: ErrorDetail[], message = describeDetails(details)) {
    super('VALIDATION_FAILED', message, 400, details);
  }
}

export class NotFoundError extends AppError {
  constructor(what: string, key: string) {
    super('NOT_FOUND', `${what} "${key}" does not exist`, 404);
  }
}

export class ConflictError extends AppError {
  constructor(message: string, extra: Record<string, unknown> = {}, details: ErrorDetail[] = []) {
    super('CONFLICT', message, 409, details, extra);
  }
}

export class UnauthenticatedError extends AppError {
  constructor(message = 'a valid bearer token or session is required') {
    super('UNAUTHENTICATED', message, 401);
  }
}

export class ForbiddenError extends AppError {
  constructor(message: string) {
    super('FORBIDDEN', message, 403);
  }
}

export class UnavailableError extends AppError {
  constructor(message: string, details: ErrorDetail[] = []) {
    super('UNAVAILABLE', message, 503, details);
  }
}

function describeDetails(details: ErrorDetail[]): string {
  if (details.length === 0) return 'the request is invalid';
  const first = details[0];
  const more = details.length > 1 ? ` (and ${details.length - 1} more)` : '';
  return `${first.path ? `${first.path}: ` : ''}${first.problem}${more}`;
}
