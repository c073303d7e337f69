export type FlagType = 'boolean' | 'string' | 'number' | 'object';

export type Operator =
  | 'in'
  | 'not_in'
  | 'contains'
  | 'starts_with'
  | 'ends_with'
  | 'matches'
  | 'eq'
  | 'lt'
  | 'lte'
  | 'gt'
  | 'gte'
  | 'before'
  | 'after'
  | 'semver_eq'
  | 'semver_lt'
  | 'semver_gt'
  | 'in_segment';

export const FLAG_TYPES: readonly FlagType[] = Object.freeze(['boolean', 'string', 'number', 'object'] as const);

export const OPERATORS: readonly Operator[] = Object.freeze([
  'in',
  'not_in',
  'contains',
  'starts_with',
  'ends_with',
  'matches',
  'eq',
  'lt',
  'lte',
  'gt',
  'gte',
  'before',
  'after',
  'semver_eq',
  'semver_lt',
  'semver_gt',
  'in_segment',
] as const);

/** The operators that compare text and therefore honour `caseInsensitive`. */
export const STRING_OPERATORS: readonly Operator[] = Object.freeze(['in', 'not_in', 'contains', 'starts_with', 'ends_with', 'matches'] as const);

export interface Condition {
  attribute: string;
  operator: Operator;
  values: Array<string | number>;
  negate?: boolean;
  caseInsensitive?: boolean;
}

/** `weight` is in thousandths of a percent; the weights of one rollout sum to {@link TOTAL_WEIGHT}. */
export interface WeightedVariant {
  variant: string;
  weight: number;
}

export type Serve = { variant: string } | { rollout: WeightedVariant[]; bucketBy?: string; salt: string };

export interface Rule {
  id: string;
  description?: string;
  conditions: Condition[];
  serve: Serve;
}

/**
 * The flag is served only when flag `flag` serves one of `variants` for the same context
 * (LaunchDarkly's prerequisites). Otherwise the dependent flag serves its off variant.
 */
export interface Prerequisite {
  flag: string;
  variants: string[];
}

/** How many prerequisite links one evaluation follows before it gives up and fails the prerequisite. */
export const MAX_PREREQUISITE_DEPTH = 10;

export interface EnvironmentConfig {
  enabled: boolean;
  offVariant: string;
  rules: Rule[];
  defaultServe: Serve;
  version: number;
  /** Checked in order after `enabled`, before the rules; absent or empty means none. */
  prerequisites?: Prerequisite[];
}

export interface FlagDefinition {
  key: string;
  type: FlagType;
  variants: Record<string, unknown>;
}

export interface Segment {
  key: string;
  conditions: Condition[];
}

/** A flag as delivered for one environment. */
export interface SnapshotFlag extends FlagDefinition, EnvironmentConfig {}

export interface Snapshot {
  environment: string;
  version: number;
  flags: Record<string, SnapshotFlag>;
  segments: Record<string, Segment>;
}

export type EvaluationContext = { targetingKey?: string } & Record<string, unknown>;

export type Reason = 'DISABLED' | 'TARGETING_MATCH' | 'SPLIT' | 'DEFAULT' | 'ERROR';

export type ErrorCode = 'FLAG_NOT_FOUND' | 'TYPE_MISMATCH' | 'TARGETING_KEY_MISSING' | 'PARSE_ERROR' | 'GENERAL';

export interface EvaluationResult {
  value: unknown;
  variant?: string;
  reason: Reason;
  errorCode?: ErrorCode;
  errorMessage?: string;
  ruleId?: string;
  /**
   * Set when a prerequisite failed: the key of the first prerequisite flag that did not serve one
   * of its listed variants. The result is then the off variant with reason DISABLED.
   */
  failedPrerequisite?: string;
}

/** One thing wrong with a flag or segment configuration, e.g. `{ path: 'rules[0].serve.variant', problem: 'unknown variant "blue"' }`. */
export interface ConfigProblem {
  path: string;
  problem: string;
}

export interface CompiledSnapshot {
  readonly environment: string;
  readonly version: number;
  keys(): string[];
  has(key: string): boolean;
  /** The flag exactly as it was given to {@link compileSnapshot}. */
  flag(key: string): SnapshotFlag | undefined;
  /** Why a flag evaluates to PARSE_ERROR; empty for a valid or unknown flag. */
  problems(key: string): readonly ConfigProblem[];
  evaluate(key: string, context: EvaluationContext, expectedType?: FlagType): EvaluationResult;
}
