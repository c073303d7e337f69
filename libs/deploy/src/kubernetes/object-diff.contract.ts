// One field a dry-run apply would change, as a gate plan shows it. Browser-safe (types only).

export interface FieldChange {
  /** `spec.template.spec.containers[web].image` (list elements with a name are addressed by it). */
  path: string;
  before: unknown;
  after: unknown;
}
