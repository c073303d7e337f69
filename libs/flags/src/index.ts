export { FlagsModule } from './flags.module';
export {
  FlagsService,
  ConfirmationRequiredError,
  ApprovalRequiredError,
  applyPatch,
  defaultConfig,
  type WriteContext,
  type FlagListFilter,
} from './flags.service';
export {
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
export type { FlagUsage } from './flag.contract';
export { ClientCatalogRepository, type ClientFlagMarks } from './client-catalog.repository';
export {
  ChangeRequestsService,
  ChangeRequestStaleError,
  ChangeRequestClosedError,
  FourEyesError,
  type WriteOutcome,
  type Reviewer,
  type IdentitiesOf,
  type ChangeRequestFilter,
  type ChangeRequestListener,
} from './change-requests.service';
export { CHANGE_REQUEST_STATES, type ChangeRequestState, type ChangeRequestView, type ChangeOperation, type PendingChange } from './change-request.contract';
export { SchedulesService, ScheduleClosedError, type ScheduleFilter, type NewSchedule, type FireOutcome } from './schedules.service';
export { SCHEDULE_STATES, type ScheduleState, type ScheduleView } from './schedule.contract';
