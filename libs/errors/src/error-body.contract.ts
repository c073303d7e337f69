// The error shape every /api, /sdk and /ofrep answer uses, as clients read it. Browser-safe:
// plain types only, so the admin UI and the SDKs import it with `import type`.

/** One problem with the request, pointing at the field at fault (`rules[0].operator`). */
export interface ErrorDetail {
  path: string;
  problem: string;
}

/** `{ error: { code, message, details, requestId } }`, plus machine-readable context (e.g. the current version on a conflict). */
export interface ErrorBody {
  error: { code: string; message: string; details: ErrorDetail[]; requestId: string } & Record<string, unknown>;
}
