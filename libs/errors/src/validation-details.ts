import type { ValidationError } from 'class-validator';
import type { ErrorDetail } from './app-error';

/** Flattens class-validator's tree into `details[]` with JSON-ish paths (`rules[0].operator`). */
export function validationDetails(errors: ValidationError[], parent = ''): ErrorDetail[] {
  const details: ErrorDetail[] = [];
  for (const error of errors) {
    const segment = /^\d+$/.test(error.property) ? `[${error.property}]` : parent ? `.${error.property}` : error.property;
    const path = `${parent}${segment}`;
    for (const [constraint, message] of Object.entries(error.constraints ?? {})) {
      details.push({ path, problem: constraint === 'whitelistValidation' ? 'is not a known field' : stripProperty(message, error.property) });
    }
    if (error.children?.length) details.push(...validationDetails(error.children, path));
  }
  return details;
}

// class-validator messages start with the property name ("port must be ..."); the path already names it.
function stripProperty(message: string, property: string): string {
  return message.startsWith(`${property} `) ? message.slice(property.length + 1) : message;
}
