import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppError } from './app-error';
import { ERROR_CODES, isErrorCode } from './error-codes';

/** The table rows of docs/errors.md: `| \`CODE\` | status | meaning |`. */
function documentedCodes(): Array<{ code: string; status: number; meaning: string }> {
  const markdown = readFileSync(join(__dirname, '../../../docs/errors.md'), 'utf8');
  return [...markdown.matchAll(/^\|\s*`([A-Z_]+)`\s*\|\s*(\d{3})\s*\|\s*(.*?)\s*\|$/gm)].map(([, code, status, meaning]) => ({
    code,
    status: Number(status),
    meaning,
  }));
}

describe('error codes', () => {
  it('docs/errors.md lists every code with its status and meaning, and nothing else', () => {
    const listed = Object.entries(ERROR_CODES).map(([code, { status, meaning }]) => ({ code, status, meaning }));
    const documented = documentedCodes();
    // Named separately first so a failure says which code is missing or stale.
    expect({ missing: listed.filter((c) => !documented.some((d) => d.code === c.code)).map((c) => c.code) }).toEqual({ missing: [] });
    expect({ stale: documented.filter((d) => !isErrorCode(d.code)).map((d) => d.code) }).toEqual({ stale: [] });
    expect(documented).toEqual(listed);
  });

  it('gives each AppError the code and status of the list', () => {
    const error = new AppError('NO_ROUTE', 'no mirrored route matches', 404);
    expect({ code: error.code, status: error.status }).toEqual({ code: 'NO_ROUTE', status: ERROR_CODES.NO_ROUTE.status });
    // @ts-expect-error a free string is not an error code
    expect(new AppError('SOMETHING_NEW', 'x', 400).code).toBe('SOMETHING_NEW');
    // @ts-expect-error the status must be the code's
    expect(new AppError('NOT_FOUND', 'x', 400).status).toBe(400);
  });
});
