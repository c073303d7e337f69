// A service's release policy as /api/v1/services/{service}/policy answers and accepts it.
// Browser-safe (types only): the admin UI imports it with `import type`.

/** What the server requires of one environment, whatever the pipeline file says. */
export interface EnvironmentPolicy {
  namespace: string;
  /** `required`: every release waits at a gate in this environment (a pipeline may add gates, never drop one). */
  approval: 'required' | 'none';
  /** Whoever started the release (or a token they created) may not approve it. `false` opts out. */
  fourEyes: boolean;
}

/** A service's release policy: registered by an admin, never by the pipeline it constrains. */
export interface ReleasePolicy {
  environments: Record<string, EnvironmentPolicy>;
  /** Image repositories (`registry/path`, no tag) a release of the service may run. */
  repositories: string[];
}

export interface StoredPolicy {
  service: string;
  version: number;
  policy: ReleasePolicy;
  updatedBy: string;
  updatedAt: string;
}
