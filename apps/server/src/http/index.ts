export { parseBody, parseOptional } from './parse-body';
export { openApiSchema, namedSchema, openApiRef, addNamedSchemas, ApiQueryFrom } from './openapi-schema';
export { etagOf, ifMatchOf } from './etag';
export { firstHeader, type RequestHeaders } from './request-headers';
