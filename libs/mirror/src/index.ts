export { PathPattern, PathPatternError, PathPatternSet, formatPath, formatField, type PathSegment } from './json-path';
export { diffJson, DIFFERENCE_KINDS, type Difference, type DifferenceKind, type JsonDiffOptions } from './json-diff';
export { prepareResponse, BodyTooLargeError, type CapturedResponse, type HeaderValues, type PreparedBody, type PreparedResponse } from './prepared-response';
export { ResponseComparator, type CompareRules } from './response-comparator';
export { EndpointGrouper } from './endpoint-grouper';
export { isSignificant, DEFAULT_NOISE_THRESHOLDS, type NoiseThresholds } from './noise-filter';
export { LatencySample, type LatencySummary } from './latency-sample';
export { SecretRedactor, REDACTED } from './secret-redactor';
export {
  mirrorRouteSchema,
  validateRoutes,
  formatProblemPath,
  SAFE_METHODS,
  type MirrorRoute,
  type MirrorRouteDetail,
  type MirrorRouteDetailList,
  type MirrorRouteInput,
  type RouteProblem,
  type SampleConfig,
} from './mirror-route.schema';
export {
  loadRouteFile,
  loadRouteFileSettings,
  parseRouteFile,
  parseRouteFileSettings,
  RouteFileError,
  type RouteFileProblem,
  type RouteFileSettings,
} from './route-file.loader';
export { parseReportSince } from './report-since';
export type { MirrorRouteList, MirrorRouteSummary, MirrorRouteView } from './mirror-route.contract';
export {
  decideVerdict,
  SKIP_REASONS,
  type BreakerReport,
  type EndpointReport,
  type FieldExample,
  type FieldReport,
  type MirrorReport,
  type RouteReport,
  type SkipReason,
  type SuggestedIgnore,
  type Verdict,
} from './mirror-report';
export { MirrorAnalysis, type CapturedExchange, type ExchangeOutcome, type MirrorAnalysisLimits, type PreparedExchange } from './mirror-analysis';
export {
  buildRouteReport,
  emptyEndpointAggregate,
  mergeEndpointAggregate,
  mergeRouteAggregates,
  mergeReservoirs,
  reportBatchSchema,
  DEFAULT_AGGREGATE_LIMITS,
  OTHER_FIELDS,
  type AggregateLimits,
  type EndpointAggregate,
  type FieldAggregate,
  type LatencyReservoir,
  type ReportBatch,
  type RouteAggregate,
} from './mirror-aggregate';
export { EgressPolicy, EgressRuleError } from './egress-policy';
export {
  CAPTURE_FORMAT,
  CAPTURE_VERSION,
  CAPTURE_SEGMENT_SUFFIX,
  CAPTURE_SECRET_HEADERS,
  CaptureFormatError,
  CaptureRedactor,
  captureHeaderLine,
  decodeBody,
  encodeBody,
  parseCaptureSegment,
  type CaptureHeaderLine,
  type CaptureLine,
  type CaptureRecordLine,
  type CaptureRouteLine,
  type CapturedBody,
} from './capture-format';
export {
  readCaptureDirectory,
  replayCapture,
  recordedRoute,
  CaptureReadError,
  NothingToReplayError,
  ReplayTargetDownError,
  REPLAY_HEADER,
  type Capture,
  type CapturedExchangeAt,
  type CaptureReplayOptions,
  type CaptureReplayRun,
} from './capture-replay';
export { captureLocationProblem, resolveCaptureLocation, CaptureLocationError } from './capture-location';
export {
  darkLaunchVerdict,
  formatPercent,
  type DarkLaunchEndpointVerdict,
  type DarkLaunchOutcome,
  type DarkLaunchSetting,
  type DarkLaunchThresholds,
  type DarkLaunchVerdict,
} from './dark-launch-verdict';
export { MirrorRoutesRepository, type MirrorRouteOwner, type MirrorRouteRow, type MirrorRouteWrite } from './mirror-routes.repository';
export { MirrorReportsRepository, type EndpointBucket, type ReportWindow } from './mirror-reports.repository';
export type { SqlRunner } from './sql-runner';
