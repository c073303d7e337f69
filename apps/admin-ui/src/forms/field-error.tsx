import type { ErrorDetail } from '../../../../libs/errors/src/error-body.contract';
import { problemsAt } from '../api/api-client';

/** The API's problems for one field, right under it; `id` links it to the input via aria-describedby. */
export function FieldError({ id, details, path, problems }: { id: string; details?: readonly ErrorDetail[]; path?: string; problems?: readonly string[] }) {
  const shown = [...(problems ?? []), ...(details && path !== undefined ? problemsAt(details, path) : [])];
  if (shown.length === 0) return null;
  return (
    <p className="field-error" id={id} role="alert">
      {shown.join('; ')}
    </p>
  );
}

/** Whether a field has problems (for aria-invalid). */
export function invalid(details: readonly ErrorDetail[] | undefined, path: string): boolean {
  return !!details && problemsAt(details, path).length > 0;
}
