/**
 * Every `error.code` the API, the SDK endpoints and the proxy answer with, and its HTTP status.
 * Clients branch on the code, never on the message, so this list is the contract: docs/errors.md
 * describes each entry and a unit test keeps the two in step.
 */
export const ERROR_CODES = {
  VALIDATION_FAILED: { status: 400, meaning: 'A field of the body, query, path or a header is invalid; `details[]` names each field and the problem.' },
  BAD_REQUEST: { status: 400, meaning: 'The request is malformed in a way no single field explains (an empty JSON body, a bad URL encoding).' },
  MALFORMED_JSON: { status: 400, meaning: 'The body is not valid JSON (or holds a `__proto__` key).' },
  UNAUTHENTICATED: { status: 401, meaning: 'No valid bearer token or session cookie.' },
  FORBIDDEN: { status: 403, meaning: "The caller's token or role lacks the scope this request needs." },
  CSRF_REJECTED: { status: 403, meaning: 'A state-changing request from a browser session lacks the `X-CSRF-Token` header from `GET /api/v1/session`.' },
  POLICY_VIOLATION: { status: 403, meaning: "The release's pipeline file asks for less than the service's release policy; nothing was changed." },
  FOUR_EYES: {
    status: 403,
    meaning: 'An approval needs someone other than the person who started the release or made the change request (nor a token that person created).',
  },
  NOT_FOUND: { status: 404, meaning: 'The resource, or the route, does not exist.' },
  NO_ROUTE: { status: 404, meaning: 'Proxy: no mirrored route matches the request host and path.' },
  UI_NOT_BUILT: { status: 404, meaning: 'The admin UI was not built into this server (`npm run build:ui`).' },
  METHOD_NOT_ALLOWED: { status: 405, meaning: 'The path exists but not for this HTTP method.' },
  NOT_ACCEPTABLE: { status: 406, meaning: 'The server cannot answer in a media type the `Accept` header allows.' },
  CONFLICT: {
    status: 409,
    meaning:
      'The write conflicts with the current state (stale `If-Match` version, duplicate key, a rollout already holding the environment); the body may carry the current version.',
  },
  APPROVAL_REQUIRED: {
    status: 409,
    meaning:
      'The write touches an environment that requires approval and was not made through a change request (code calling the flags service directly; the API opens a change request instead).',
  },
  CHANGE_REQUEST_STALE: {
    status: 409,
    meaning:
      'The flag or segment changed since the change request was made, so nothing was applied and the request is now `stale`; its author makes a new request against `currentVersion`.',
  },
  CHANGE_REQUEST_CLOSED: {
    status: 409,
    meaning: 'The change request is no longer pending (applied, rejected, withdrawn or stale; `state` says which); nothing was changed.',
  },
  SCHEDULE_CLOSED: {
    status: 409,
    meaning: 'The scheduled change is no longer pending or awaiting approval (fired, failed or cancelled; `state` says which); nothing was changed.',
  },
  POLICY_REQUIRED: {
    status: 409,
    meaning: 'The service has no release policy yet; an admin must register or accept one (`proposedPolicy` carries the one the release proposes).',
  },
  PREREQUISITE_CYCLE: {
    status: 409,
    meaning:
      "The flag's prerequisites would form a cycle or a chain of more than 10 links with the environment's other flags; the message and `details[]` give the path (`a → b → a`).",
  },
  PRECONDITION_FAILED: { status: 412, meaning: 'A conditional request header does not match.' },
  PAYLOAD_TOO_LARGE: { status: 413, meaning: 'The body is larger than the limit; `details[]` names the limit.' },
  URI_TOO_LONG: { status: 414, meaning: 'The request path or a path segment is longer than the limit.' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, meaning: 'The body has a content type other than `application/json`.' },
  IMAGE_REFUSED: {
    status: 422,
    meaning: "The release's image cannot be rolled out: outside the allowed repositories, without a digest, or missing from its registry.",
  },
  CONFIRMATION_REQUIRED: {
    status: 428,
    meaning: 'The change touches environments that require confirmation; repeat it with `X-Switchyard-Confirm` naming them.',
  },
  PRECONDITION_REQUIRED: { status: 428, meaning: 'The request needs a conditional header it does not carry.' },
  TOO_MANY_REQUESTS: { status: 429, meaning: 'Too many requests (sign-in attempts, browser client calls); `Retry-After` says when to try again.' },
  INTERNAL: { status: 500, meaning: 'An unexpected server error; quote the `requestId` when reporting it. No internals are included.' },
  BAD_GATEWAY: { status: 502, meaning: 'Proxy: the primary of the route did not answer.' },
  KUBERNETES_ERROR: { status: 502, meaning: 'The Kubernetes API refused or failed a request the rollout made.' },
  UNAVAILABLE: { status: 503, meaning: 'A dependency (PostgreSQL, Redis) is not answering; nothing was changed, retry later.' },
  KUBERNETES_NOT_CONFIGURED: { status: 503, meaning: 'The server has no Kubernetes cluster configured; retrying will not help.' },
  PROMETHEUS_NOT_CONFIGURED: { status: 503, meaning: 'The server has no Prometheus configured for canary analysis; retrying will not help.' },
  KUBERNETES_UNAVAILABLE: { status: 503, meaning: 'The configured Kubernetes cluster cannot be used (bad kubeconfig, unreachable API).' },
} as const satisfies Record<string, { status: number; meaning: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** The HTTP status that goes with a code (a union of them for a union of codes). */
export type ErrorStatus<C extends ErrorCode = ErrorCode> = (typeof ERROR_CODES)[C]['status'];

export function isErrorCode(value: string): value is ErrorCode {
  return Object.hasOwn(ERROR_CODES, value);
}
