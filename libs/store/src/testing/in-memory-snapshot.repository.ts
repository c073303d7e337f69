import type { EntityManager } from 'typeorm';
import type { EnvironmentConfig, Segment, SnapshotFlag } from '@switchyard/core';
import type { Database } from '@switchyard/persistence';
import type { SnapshotFlagRow, SnapshotRepository } from '../snapshot.repository';

type Read = 'environmentVersion' | 'flags' | 'segments';

interface RecordFlag {
  key: string;
  type: SnapshotFlag['type'];
  variants: Record<string, unknown>;
  archived: boolean;
  /** Per environment: its config and the flag-environment row's version. */
  environments: Record<string, { config: Omit<EnvironmentConfig, 'version'>; version: number }>;
}

interface RecordState {
  environments: Array<{ key: string; version: number; position: number }>;
  flags: Record<string, RecordFlag>;
  segments: Record<string, Segment>;
}

export interface FlagInput {
  type?: SnapshotFlag['type'];
  variants?: Record<string, unknown>;
  config?: Partial<Omit<EnvironmentConfig, 'version'>>;
}

const copy = <T>(value: T): T => structuredClone(value);

/**
 * The record the snapshot builder reads (environments, flags, segments), in memory, answering like
 * the SQL: environments in position order with versions as text (bigint), archived flags left out,
 * rows ordered by key. Isolation is modelled: after `repeatableRead(manager)` that manager's reads
 * see the state of that moment; without it every read sees the latest commit (READ COMMITTED), so a
 * builder that forgets it can be caught tearing a snapshot. Every write helper is one commit that
 * bumps the versions a real write bumps.
 */
export class InMemorySnapshotRepository implements Pick<SnapshotRepository, keyof SnapshotRepository> {
  private state: RecordState = { environments: [], flags: {}, segments: {} };
  private readonly views = new WeakMap<EntityManager, RecordState>();
  private readonly hooks: Array<{ read: Read; run: () => void }> = [];
  /** While set, every read rejects with it: the record is not answering. */
  unavailable: Error | undefined;
  readonly calls = { environments: 0, repeatableRead: 0, environmentVersion: 0, flags: 0, segments: 0 };

  // ---- set-up and commits for tests ------------------------------------------------------------

  addEnvironment(key: string, version = 0): void {
    this.state.environments.push({ key, version, position: this.state.environments.length });
  }

  /** The environment's current version in the record. */
  version(environment: string): number {
    const env = this.state.environments.find((e) => e.key === environment);
    if (!env) throw new Error(`no environment ${environment}`);
    return env.version;
  }

  /** Creates or updates a flag in one environment; the flag row and the environment each gain a version. */
  putFlag(environment: string, key: string, input: FlagInput = {}): number {
    const env = this.environment(environment);
    const flag = (this.state.flags[key] ??= {
      key,
      type: input.type ?? 'boolean',
      variants: input.variants ?? { on: true, off: false },
      archived: false,
      environments: {},
    });
    if (input.type) flag.type = input.type;
    if (input.variants) flag.variants = copy(input.variants);
    const previous = flag.environments[environment];
    flag.environments[environment] = {
      config: { ...(previous?.config ?? { enabled: false, offVariant: 'off', rules: [], defaultServe: { variant: 'on' } }), ...copy(input.config ?? {}) },
      version: (previous?.version ?? 0) + 1,
    };
    env.version += 1;
    return env.version;
  }

  /** Archives a flag: it leaves every snapshot, and each environment it was in gains a version. */
  archiveFlag(key: string): void {
    const flag = this.state.flags[key];
    flag.archived = true;
    for (const environment of Object.keys(flag.environments)) this.environment(environment).version += 1;
  }

  /** Segments are shared by all environments: each gains a version. */
  putSegment(key: string, conditions: Segment['conditions']): void {
    this.state.segments[key] = { key, conditions: copy(conditions) };
    for (const env of this.state.environments) env.version += 1;
  }

  /** Runs `commit` once, right after the next read of kind `read` (a write landing mid-build). */
  afterRead(read: Read, commit: () => void): void {
    this.hooks.push({ read, run: commit });
  }

  // ---- SnapshotRepository ----------------------------------------------------------------------

  async environments(): Promise<Array<{ key: string; version: string }>> {
    this.calls.environments += 1;
    this.check();
    return [...this.state.environments]
      .sort((a, b) => a.position - b.position || a.key.localeCompare(b.key))
      .map((env) => ({ key: env.key, version: String(env.version) }));
  }

  async repeatableRead(manager: EntityManager): Promise<void> {
    this.calls.repeatableRead += 1;
    this.check();
    this.views.set(manager, copy(this.state));
  }

  async environmentVersion(manager: EntityManager, environment: string): Promise<Array<{ version: string }>> {
    this.calls.environmentVersion += 1;
    this.check();
    const env = this.seen(manager).environments.find((e) => e.key === environment);
    this.ran('environmentVersion');
    return env ? [{ version: String(env.version) }] : [];
  }

  async flags(manager: EntityManager, environment: string): Promise<SnapshotFlagRow[]> {
    this.calls.flags += 1;
    this.check();
    const rows = Object.values(this.seen(manager).flags)
      .filter((flag) => !flag.archived && flag.environments[environment])
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
      .map((flag) => ({
        key: flag.key,
        type: flag.type,
        variants: copy(flag.variants),
        config: copy(flag.environments[environment].config),
        version: flag.environments[environment].version,
      }));
    this.ran('flags');
    return rows;
  }

  async segments(manager: EntityManager): Promise<Array<{ key: string; conditions: Segment['conditions'] }>> {
    this.calls.segments += 1;
    this.check();
    const rows = Object.values(this.seen(manager).segments)
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
      .map((segment) => copy(segment));
    this.ran('segments');
    return rows;
  }

  // ---- internals -------------------------------------------------------------------------------

  private environment(key: string) {
    const env = this.state.environments.find((e) => e.key === key);
    if (!env) throw new Error(`no environment ${key}`);
    return env;
  }

  private check(): void {
    if (this.unavailable) throw this.unavailable;
  }

  private seen(manager: EntityManager): RecordState {
    return this.views.get(manager) ?? this.state;
  }

  private ran(read: Read): void {
    const index = this.hooks.findIndex((hook) => hook.read === read);
    if (index >= 0) this.hooks.splice(index, 1)[0].run();
  }
}

/**
 * The part of Database the snapshot builder uses: each transaction gets its own manager (so the
 * repository can tell transactions apart) that refuses SQL, and fails like the pool while the
 * record is unavailable.
 */
export function inMemorySnapshotDatabase(records: InMemorySnapshotRepository): Pick<Database, 'transaction'> {
  return {
    transaction: async <T>(work: (manager: EntityManager) => Promise<T>): Promise<T> => {
      if (records.unavailable) throw records.unavailable;
      const manager = {
        query: () => Promise.reject(new Error('the in-memory fake has no SQL: go through the repository')),
      } as unknown as EntityManager;
      return work(manager);
    },
  };
}
