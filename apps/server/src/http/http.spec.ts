import { z } from 'zod';
import type { OpenAPIObject } from '@nestjs/swagger';
import { ValidationFailedError } from '@switchyard/errors';
import { oneOf, pageCursor, pageLimit, printable, trueOrFalse } from '../request-fields';
import { etagOf, ifMatchOf } from './etag';
import { addNamedSchemas, namedSchema, openApiRef } from './openapi-schema';
import { parseBody, parseOptional } from './parse-body';

function problemsOf(run: () => unknown): Array<{ path: string; problem: string }> {
  try {
    run();
  } catch (error) {
    if (error instanceof ValidationFailedError) return error.details;
    throw error;
  }
  return [];
}

const query = z.strictObject({ status: oneOf(['running', 'failed']).optional(), cursor: pageCursor().optional(), limit: pageLimit(100, 20) });

describe('the HTTP edge', () => {
  it('parses a query: text coerced, nothing sent is an empty filter, each bad field named', () => {
    expect(parseOptional(query, { limit: '5', cursor: '42' })).toEqual({ limit: 5, cursor: '42' });
    expect(parseOptional(query, undefined)).toEqual({});
    expect(problemsOf(() => parseOptional(query, { status: 'done', cursor: '007', limit: '0', page: '2' }))).toEqual([
      { path: 'status', problem: 'must be one of running, failed' },
      { path: 'cursor', problem: 'must be a cursor returned by a previous page' },
      { path: 'limit', problem: 'must be at least 1' },
      { path: 'page', problem: 'is not a known field' },
    ]);
    expect(problemsOf(() => parseOptional(query, { limit: '2.5' }))).toEqual([{ path: 'limit', problem: 'must be a whole number' }]);
  });

  it('says a body problem in plain words', () => {
    const body = z.strictObject({ name: printable(10).min(1), disabled: trueOrFalse().optional() });
    expect(problemsOf(() => parseBody(body, { name: 'a\u202eb', disabled: 'yes' }))).toEqual([
      { path: 'name', problem: 'must contain printable characters only' },
      { path: 'disabled', problem: 'must be true or false' },
    ]);
    expect(problemsOf(() => parseBody(body, undefined))).toEqual([{ path: '(body)', problem: 'is required' }]);
  });

  it('lists named schemas once under components, referenced from bodies and from each other', () => {
    const item = namedSchema('HttpSpecItemDto', z.strictObject({ id: z.string().max(8).meta({ example: 'a1' }) }));
    const list = namedSchema('HttpSpecListDto', z.strictObject({ items: z.array(item) }));
    expect(openApiRef(list)).toEqual({ $ref: '#/components/schemas/HttpSpecListDto' });
    const document = addNamedSchemas({ components: { schemas: {} } } as unknown as OpenAPIObject);
    expect(document.components?.schemas?.HttpSpecListDto).toEqual({
      type: 'object',
      properties: { items: { type: 'array', items: { $ref: '#/components/schemas/HttpSpecItemDto' } } },
      required: ['items'],
      additionalProperties: false,
    });
    expect(document.components?.schemas?.HttpSpecItemDto).toMatchObject({ properties: { id: { type: 'string', maxLength: 8, example: 'a1' } } });
  });

  it('reads If-Match as a version and writes versions as ETags', () => {
    expect(etagOf(7)).toBe('"7"');
    expect([ifMatchOf({ 'if-match': '"7"' }), ifMatchOf({ 'if-match': 'W/"8"' }), ifMatchOf({ 'if-match': '*' }), ifMatchOf({})]).toEqual([
      7,
      8,
      undefined,
      undefined,
    ]);
    expect(problemsOf(() => ifMatchOf({ 'if-match': 'abc' }))).toEqual([{ path: 'If-Match', problem: 'must be the ETag of the resource, e.g. "7"' }]);
  });
});
