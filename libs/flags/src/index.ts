export { FlagsModule } from './flags.module';
export { FlagsService, ConfirmationRequiredError, applyPatch, defaultConfig, type WriteContext, type FlagListFilter } from './flags.service';
export {
  parseBody,
  openApiSchema,
  formatPath,
  createFlagSchema,
  updateFlagSchema,
  environmentConfigPatchSchema,
  toggleSchema,
  createSegmentSchema,
  updateSegmentSchema,
  createEnvironmentSchema,
  updateEnvironmentSchema,
  FLAG_KEY,
  SEGMENT_KEY,
  ENVIRONMENT_KEY,
} from './flag.schemas';
export type { EnvironmentView, FlagView, FlagSummary, FlagEnvironmentView, SegmentView, FlagVersionView } from './flag.types';
export { UsageService, type UsageCount, type FlagUsageView, type UsageBucketView } from './usage.service';
