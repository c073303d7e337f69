// The audit log as GET /api/v1/audit answers it. Browser-safe (types only): the admin UI imports it
// with `import type`.

export interface AuditEvent {
  id: string;
  at: string;
  actor: string;
  action: string;
  target: string;
  environment: string | null;
  service: string | null;
  before: unknown;
  after: unknown;
  meta: Record<string, unknown>;
  /** The change in plain sentences, the same words the UI uses. */
  summary: string[];
  /** Why, in the writer's words (X-Switchyard-Comment). */
  comment: string | null;
}

/** A listed row carries the person's name for `user:<email>` actors the server knows; null for tokens and the engine. */
export type WithActorName<T> = T & { actorName: string | null };

/** GET /api/v1/audit. */
export interface AuditPage {
  items: Array<WithActorName<AuditEvent>>;
  /** Pass back as `cursor` for the next page; null on the last one. */
  nextCursor: string | null;
}
