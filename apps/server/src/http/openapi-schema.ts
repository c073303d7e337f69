import { applyDecorators } from '@nestjs/common';
import { ApiQuery, type OpenAPIObject } from '@nestjs/swagger';
import { z } from 'zod';

/**
 * The zod schemas at the edge are also the OpenAPI document: a body schema is either inlined
 * (`openApiSchema`) or, when it has a name, listed once under components.schemas (`namedSchema`,
 * then `$ref` through `openApiRef`) so clients generated from the document keep their type names.
 */
const components = z.registry<{ id: string }>();

const COMPONENTS = '#/components/schemas/';

const JSON_SCHEMA_OPTIONS = { unrepresentable: 'any', io: 'input' } as const;

/** JSON Schema of a request body, inlined in the OpenAPI document. */
export function openApiSchema(schema: z.ZodType): Record<string, unknown> {
  return z.toJSONSchema(schema, JSON_SCHEMA_OPTIONS) as Record<string, unknown>;
}

/** Registers a schema under its component name; other named schemas inside it become `$ref`s. */
export function namedSchema<T extends z.ZodType>(id: string, schema: T): T {
  components.add(schema, { id });
  return schema;
}

/** `{ $ref }` to a schema registered with `namedSchema`, for `@ApiBody({ schema })`. */
export function openApiRef(schema: z.ZodType): { $ref: string } {
  const id = components.get(schema)?.id;
  if (!id) throw new Error('openApiRef: the schema has no component name; register it with namedSchema');
  return { $ref: `${COMPONENTS}${id}` };
}

/** Adds every named schema to the document's components (called once, after Nest builds the document). */
export function addNamedSchemas(document: OpenAPIObject): OpenAPIObject {
  const { schemas } = z.toJSONSchema(components, { ...JSON_SCHEMA_OPTIONS, uri: (id) => `${COMPONENTS}${id}` });
  const generated: Record<string, Record<string, unknown>> = {};
  for (const [id, schema] of Object.entries(schemas)) {
    const { $schema: _schema, $id: _id, ...rest } = schema as Record<string, unknown>;
    generated[id] = rest;
  }
  document.components = { ...document.components, schemas: { ...document.components?.schemas, ...generated } };
  return document;
}

/** One OpenAPI query parameter per field of a query schema (all optional unless the schema requires them). */
export function ApiQueryFrom(schema: z.ZodObject): MethodDecorator {
  const json = z.toJSONSchema(schema, JSON_SCHEMA_OPTIONS) as { properties?: Record<string, Record<string, unknown>>; required?: string[] };
  const decorators = Object.entries(json.properties ?? {}).map(([name, property]) => {
    const { description, ...rest } = property;
    return ApiQuery({
      name,
      required: json.required?.includes(name) ?? false,
      ...(typeof description === 'string' ? { description } : {}),
      schema: rest,
    });
  });
  return applyDecorators(...decorators);
}
