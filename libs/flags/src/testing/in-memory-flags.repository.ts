import type { EntityManager } from 'typeorm';
import type { AuditEventInput } from '@switchyard/audit';
import type { EnvironmentChange } from '@switchyard/store';
import type { EnvironmentView, FlagView, SegmentView, StoredConfig } from '../flag.types';
import type { FlagRecords } from '../flags.repository';

interface StoredFlagEnvironment {
  config: StoredConfig;
  version: number;
  updatedAt: string;
}

interface StoredFlag extends Omit<FlagView, 'environments'> {
  environments: Map<string, StoredFlagEnvironment>;
}

interface VersionRow {
  version: number;
  actor: string;
  created_at: Date;
  definition: FlagView;
  comment: string | null;
}

interface State {
  environments: EnvironmentView[];
  flags: Map<string, StoredFlag>;
  versions: Map<string, VersionRow[]>;
  segments: Map<string, SegmentView>;
  lastEvaluated: Map<string, Date>;
}

const copy = <T>(value: T): T => structuredClone(value);

/**
 * FlagsRepository in memory, with the same version arithmetic as the SQL (a flag starts at 1 and
 * every definition write adds one; a flag's environment row likewise; an environment starts at 0
 * and each bump adds one). The manager argument is ignored; `transaction` gives all-or-nothing.
 */
export class InMemoryFlagsRepository implements FlagRecords {
  private state: State = { environments: [], flags: new Map(), versions: new Map(), segments: new Map(), lastEvaluated: new Map() };
  private clock = Date.parse('2026-01-01T00:00:00.000Z');

  /** A clock that moves one second per write, so createdAt/updatedAt are ordered and predictable. */
  private now(): string {
    this.clock += 1000;
    return new Date(this.clock).toISOString();
  }

  // ---- set-up for tests ------------------------------------------------------------------------

  addEnvironment(key: string, options: Partial<Omit<EnvironmentView, 'key'>> = {}): void {
    this.state.environments.push({
      key,
      name: options.name ?? key,
      requiresConfirmation: false,
      requiresComment: false,
      requireApproval: false,
      killSwitchSkipsApproval: false,
      version: 0,
      ...options,
    });
  }

  markEvaluated(flagKey: string, at: Date): void {
    this.state.lastEvaluated.set(flagKey, at);
  }

  /** Runs `work` all-or-nothing, as a database transaction would. */
  async transaction<T>(work: () => Promise<T>): Promise<T> {
    const saved = copy(this.state);
    try {
      return await work();
    } catch (error) {
      this.state = saved;
      throw error;
    }
  }

  // ---- FlagRecords -----------------------------------------------------------------------------

  async environments(): Promise<EnvironmentView[]> {
    return copy(this.state.environments);
  }

  async insertEnvironment(_m: unknown, env: Omit<EnvironmentView, 'version'>, position: number): Promise<void> {
    this.state.environments.splice(position, 0, { ...copy(env), version: 0 });
  }

  async updateEnvironment(_m: unknown, env: Omit<EnvironmentView, 'version'>): Promise<void> {
    const stored = this.state.environments.find((candidate) => candidate.key === env.key);
    if (stored) Object.assign(stored, copy(env));
  }

  async bumpEnvironments(_m: unknown, keys: string[]): Promise<Map<string, number>> {
    const bumped = new Map<string, number>();
    for (const env of this.state.environments) {
      if (!keys.includes(env.key)) continue;
      env.version += 1;
      bumped.set(env.key, env.version);
    }
    return bumped;
  }

  async lockFlag(_m: unknown, key: string): Promise<FlagView | undefined> {
    return this.findFlag(_m, key);
  }

  async findFlag(_m: unknown, key: string): Promise<FlagView | undefined> {
    const flag = this.state.flags.get(key);
    return flag ? view(flag) : undefined;
  }

  async listFlags(_m: unknown, includeArchived: boolean): Promise<FlagView[]> {
    return [...this.state.flags.values()]
      .filter((flag) => includeArchived || !flag.archived)
      .sort((a, b) => a.key.localeCompare(b.key))
      .map(view);
  }

  async insertFlag(_m: unknown, flag: Omit<FlagView, 'createdAt' | 'updatedAt' | 'version' | 'environments' | 'archived'>): Promise<void> {
    if (this.state.flags.has(flag.key)) throw new Error(`duplicate key value violates unique constraint "flags_pkey" (${flag.key})`);
    const now = this.now();
    this.state.flags.set(flag.key, { ...copy(flag), archived: false, version: 1, createdAt: now, updatedAt: now, environments: new Map() });
  }

  async updateFlagDefinition(_m: unknown, flag: FlagView): Promise<number> {
    const stored = this.mustFlag(flag.key);
    Object.assign(stored, {
      name: flag.name,
      description: flag.description,
      tags: [...flag.tags],
      owner: flag.owner,
      variants: copy(flag.variants),
      archived: flag.archived,
      variantDescriptions: copy(flag.variantDescriptions),
      clientSide: flag.clientSide ?? false,
      version: stored.version + 1,
      updatedAt: this.now(),
    });
    return stored.version;
  }

  async upsertFlagEnvironment(_m: unknown, flagKey: string, environment: string, config: StoredConfig): Promise<void> {
    const stored = this.mustFlag(flagKey);
    if (!this.state.environments.some((env) => env.key === environment)) throw new Error(`violates foreign key constraint: environment ${environment}`);
    const previous = stored.environments.get(environment);
    stored.environments.set(environment, { config: copy(config), version: previous ? previous.version + 1 : 1, updatedAt: this.now() });
  }

  async insertFlagVersion(_m: unknown, flag: FlagView, actor: string, comment?: string): Promise<void> {
    const rows = this.state.versions.get(flag.key) ?? [];
    if (rows.some((row) => row.version === flag.version)) throw new Error(`duplicate flag version ${flag.key}@${flag.version}`);
    rows.push({ version: flag.version, actor, created_at: new Date(this.clock), definition: copy(flag), comment: comment ?? null });
    this.state.versions.set(flag.key, rows);
  }

  async flagVersions(_m: unknown, key: string): Promise<VersionRow[]> {
    return copy(this.state.versions.get(key) ?? []).sort((a, b) => b.version - a.version);
  }

  async flagVersion(_m: unknown, key: string, version: number): Promise<VersionRow | undefined> {
    return copy((this.state.versions.get(key) ?? []).find((row) => row.version === version));
  }

  async segmentKeys(): Promise<Set<string>> {
    return new Set(this.state.segments.keys());
  }

  async segments(): Promise<SegmentView[]> {
    return [...this.state.segments.values()].sort((a, b) => a.key.localeCompare(b.key)).map(copy);
  }

  async findSegment(_m: unknown, key: string): Promise<SegmentView | undefined> {
    return copy(this.state.segments.get(key));
  }

  async insertSegment(_m: unknown, segment: Pick<SegmentView, 'key' | 'name' | 'description' | 'conditions'>): Promise<void> {
    const now = this.now();
    this.state.segments.set(segment.key, { ...copy(segment), version: 1, createdAt: now, updatedAt: now });
  }

  async updateSegment(_m: unknown, segment: SegmentView): Promise<void> {
    const stored = this.state.segments.get(segment.key);
    if (!stored) return;
    Object.assign(stored, {
      name: segment.name,
      description: segment.description,
      conditions: copy(segment.conditions),
      version: stored.version + 1,
      updatedAt: this.now(),
    });
  }

  async insertSegmentVersion(): Promise<void> {
    // Segment history is not read back through FlagsService.
  }

  async deleteSegment(_m: unknown, key: string): Promise<void> {
    this.state.segments.delete(key);
  }

  async segmentUsers(_m: unknown, key: string): Promise<{ flags: string[]; segments: string[] }> {
    const uses = (conditions: SegmentView['conditions']) => conditions.some((c) => c.operator === 'in_segment' && c.values.includes(key));
    const flags = [...this.state.flags.values()]
      .filter((flag) => !flag.archived && [...flag.environments.values()].some((env) => env.config.rules.some((rule) => uses(rule.conditions))))
      .map((flag) => flag.key)
      .sort();
    const segments = [...this.state.segments.values()].filter((segment) => segment.key !== key && uses(segment.conditions)).map((segment) => segment.key);
    return { flags, segments };
  }

  async lastEvaluated(): Promise<Map<string, Date>> {
    return new Map(this.state.lastEvaluated);
  }

  private mustFlag(key: string): StoredFlag {
    const flag = this.state.flags.get(key);
    if (!flag) throw new Error(`flag ${key} is not stored`);
    return flag;
  }
}

function view(flag: StoredFlag): FlagView {
  const environments: FlagView['environments'] = {};
  for (const [key, env] of [...flag.environments].sort(([a], [b]) => a.localeCompare(b))) {
    environments[key] = { ...copy(env.config), version: env.version, updatedAt: env.updatedAt };
  }
  return { ...copy({ ...flag, environments: undefined }), environments };
}

/**
 * The other collaborators of FlagsService, in memory: a Database whose transactions roll the
 * repository back on error, an audit trail and a snapshot publisher that remember what they got.
 */
export function inMemoryFlagsWorld(repo = new InMemoryFlagsRepository()) {
  // Nothing may reach SQL through the fake manager: a write that bypasses the repository fails loudly.
  const manager = {
    query: () => Promise.reject(new Error('the in-memory fake has no SQL: go through the repository')),
  } as unknown as EntityManager;
  const audit: AuditEventInput[] = [];
  const published: EnvironmentChange[][] = [];
  return {
    repo,
    audit,
    published,
    db: {
      manager,
      transaction: async <T>(work: (m: EntityManager) => Promise<T>): Promise<T> => {
        const recorded = audit.length;
        try {
          return await repo.transaction(() => work(manager));
        } catch (error) {
          audit.length = recorded; // rolled back with the rest
          throw error;
        }
      },
    },
    auditService: { record: async (_m: EntityManager, event: AuditEventInput) => void audit.push(copy(event)) },
    publisher: { publish: async (changes: EnvironmentChange[]) => void published.push(copy(changes)) },
  };
}
