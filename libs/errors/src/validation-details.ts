import type { ValidationError } from 'class-validator';
import type { ErrorDetail } from './app-error';

/** Flattens class-validator's tree into `details[]` with JSON-ish paths (`rules[0].operator`). */
export function validationDetails(errors: ValidationError[], parent = ''): ErrorDetail[] {
  const details: ErrorDetail[] = [];
  for (const error of errors) {
    const segment = /^\d+$/.test(error.property) ? `[${error.property}]` : parent ? `.${error.property}` : error.property;
    const path = `${parent}${segment}`;
    for (const [constraint, message] of Object.entries(error.constraints ?? {})) {
      details.push({ path, problem: constraint === 'whitelistValidation' ? 'is not a known field' : plainProblem(stripProperty(message, error.property)) });
    }
    if (error.children?.length) details.push(...validationDetails(error.children, path));
  }
  return details;
}

// class-validator messages start with the property name ("port must be ..."); the path already names it.
function stripProperty(message: string, property: string): string {
  return message.startsWith(`${property} `) ? message.slice(property.length + 1) : message;
}

/** class-validator's default wording, said plainly with the limit named; a DTO's own message passes unchanged. */
const PLAIN: Array<[RegExp, (...groups: string[]) => string]> = [
  [/^must be shorter than or equal to (\d+) characters$/, (n) => `must be at most ${n} characters`],
  [/^must be longer than or equal to 1 characters$/, () => 'must not be empty'],
  [/^must be longer than or equal to (\d+) characters$/, (n) => `must be at least ${n} characters`],
  [/^must not be greater than (\S+)$/, (n) => `must be at most ${n}`],
  [/^must not be less than (\S+)$/, (n) => `must be at least ${n}`],
  [/^must contain no more than (\d+) elements$/, (n) => `must have at most ${n} items`],
  [/^must contain at least (\d+) elements$/, (n) => `must have at least ${n} item${n === '1' ? '' : 's'}`],
  [/^must match .* regular expression$/, () => 'contains characters that are not allowed'],
  [/^must be an integer number$/, () => 'must be a whole number'],
  [/^must be a boolean value$/, () => 'must be true or false'],
  [/^must be an email$/, () => 'must be an email address'],
  [/^must be one of the following values: (.*)$/, (list) => `must be one of ${list}`],
];

export function plainProblem(message: string): string {
  const each = /^each value in \S+ /.exec(message);
  const rest = each ? message.slice(each[0].length) : message;
  for (const [pattern, say] of PLAIN) {
    const match = pattern.exec(rest);
    if (match) return `${each ? 'each value ' : ''}${say(...match.slice(1))}`;
  }
  return message;
}
