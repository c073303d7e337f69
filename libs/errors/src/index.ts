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
export { AppErrorFilter, toErrorBody, type ErrorBody } from './app-error.filter';
export { validationDetails } from './validation-details';
