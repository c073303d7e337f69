export type {
  CompiledSnapshot,
  Condition,
  ConfigProblem,
  EnvironmentConfig,
  ErrorCode,
  EvaluationContext,
  EvaluationResult,
  FlagDefinition,
  FlagType,
  Operator,
  Prerequisite,
  Reason,
  Rule,
  Segment,
  Serve,
  Snapshot,
  SnapshotFlag,
  WeightedVariant,
} from './types';
export { FLAG_TYPES, MAX_PREREQUISITE_DEPTH, OPERATORS, STRING_OPERATORS } from './types';
export { murmurhash3 } from './murmurhash3';
export { bucket, TOTAL_WEIGHT } from './bucket';
export { compareSemver } from './semver';
export { checkRegex, MAX_MATCH_INPUT_LENGTH, MAX_REGEX_LENGTH } from './safe-regex';
export { parseIsoDate } from './iso-date';
export { compileSnapshot, validateFlagConfig, validateSegment } from './compile';
export { evaluate, type EvaluateOptions } from './evaluate';
export {
  describeFlagChange,
  describeEnvironmentChange,
  describeSegmentChange,
  changeSentences,
  changesEveryEnvironment,
  restoredFlag,
  formatWeight,
  serveText,
  conditionText,
  type ChangeDescription,
  type DescribableEnvironment,
  type DescribableFlag,
  type DescribableSegment,
  type EnvironmentChanges,
  type EnvironmentName,
} from './describe-change';
