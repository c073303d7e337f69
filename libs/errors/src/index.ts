export {
  AppError,
  ValidationFailedError,
  NotFoundError,
  ConflictError,
  UnauthenticatedError,
  ForbiddenError,
  UnavailableError,
  type ErrorDetail,
} from './app-error';
export { AppErrorFilter, type ErrorBody } from './app-error.filter';
export { formatBytes, toErrorBody } from './error-body';
export { ERROR_CODES, isErrorCode, type ErrorCode, type ErrorStatus } from './error-codes';
export { formatPath, problemOf, zodIssueDetails } from './zod-details';
