import { NotFoundError } from '@switchyard/errors';
import { applyPatch, type FlagsService, type FlagView, type UsageService, type WriteContext } from '@switchyard/flags';

type EnvironmentPatch = Parameters<FlagsService['patchEnvironment']>[2];
type FlagUsage = Awaited<ReturnType<UsageService['forFlag']>>;

const copy = <T>(value: T): T => structuredClone(value);

/**
 * What a flag release reads and writes of FlagsService, in memory: flags by key, environment
 * patches merged with FlagsService's own `applyPatch` (so a rollout keeps its salt), each write
 * kept with its context. FlagsService's own rules are unit-tested in libs/flags.
 */
export class InMemoryFlagWrites implements Pick<FlagsService, 'getFlag' | 'patchEnvironment'> {
  readonly flags = new Map<string, FlagView>();
  readonly writes: Array<{ key: string; environment: string; patch: EnvironmentPatch; ctx: WriteContext; result: FlagView['environments'][string] }> = [];

  /** A boolean flag (variants on/off), off in each environment given. */
  addBooleanFlag(key: string, environments: string[], overrides: Partial<FlagView> = {}): FlagView {
    const at = '2026-01-01T00:00:00.000Z';
    const flag: FlagView = {
      key,
      name: key,
      description: '',
      tags: [],
      clientSide: false,
      owner: null,
      type: 'boolean',
      variants: { on: true, off: false },
      variantDescriptions: {},
      archived: false,
      createdAt: at,
      updatedAt: at,
      version: 1,
      environments: Object.fromEntries(
        environments.map((env) => [env, { enabled: false, offVariant: 'off', rules: [], defaultServe: { variant: 'on' }, version: 1, updatedAt: at }]),
      ),
      ...overrides,
    };
    this.flags.set(key, flag);
    return copy(flag);
  }

  async getFlag(key: string): Promise<FlagView> {
    const flag = this.flags.get(key);
    if (!flag) throw new NotFoundError('flag', key);
    return copy(flag);
  }

  async patchEnvironment(key: string, environment: string, patch: EnvironmentPatch, ctx: WriteContext): Promise<FlagView> {
    const flag = this.flags.get(key);
    const current = flag?.environments[environment];
    if (!flag || !current) throw new NotFoundError(flag ? 'environment' : 'flag', flag ? environment : key);
    const { enabled, offVariant, rules, defaultServe } = current;
    const stored = { enabled, offVariant, rules, defaultServe };
    const next = applyPatch(stored, patch, stored);
    const at = new Date().toISOString();
    flag.environments[environment] = { ...next, version: current.version + 1, updatedAt: at };
    flag.version += 1;
    flag.updatedAt = at;
    this.writes.push({ key, environment, patch: copy(patch), ctx: copy(ctx), result: copy(flag.environments[environment]) });
    return copy(flag);
  }

  /** The share of users a flag serves `on` by default in `environment` (undefined when off). */
  percentOn(key: string, environment: string): number | undefined {
    const config = this.flags.get(key)?.environments[environment];
    if (!config?.enabled) return undefined;
    return 'rollout' in config.defaultServe ? (config.defaultServe.rollout.find((r) => r.variant === 'on')?.weight ?? 0) / 1000 : 100;
  }
}

/** Flag usage as the SDKs would have reported it: evaluations per flag and environment, set by the test. */
export class InMemoryFlagUsage implements Pick<UsageService, 'forFlag'> {
  readonly evaluations = new Map<string, number>();

  evaluated(flag: string, environment: string, count: number): void {
    this.evaluations.set(`${flag}/${environment}`, (this.evaluations.get(`${flag}/${environment}`) ?? 0) + count);
  }

  async forFlag(flag: string): Promise<FlagUsage> {
    const totals = [...this.evaluations]
      .filter(([key]) => key.startsWith(`${flag}/`))
      .map(([key, evaluations]) => ({ environment: key.slice(flag.length + 1), variant: 'on', evaluations, lastEvaluatedAt: new Date().toISOString() }));
    return { totals, hourly: [] };
  }
}
