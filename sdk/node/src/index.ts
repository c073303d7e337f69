export { createClient, SwitchyardClient } from './switchyard-client';
export type { ClientStats, ClientStatus, EvaluationDetails, EvaluationErrorCode, FlagMetadata, JsonValue } from './switchyard-client';
export type { ClientMode, ClientOptions, RedisConnectionOptions, RedisNode } from './client-options';
export { ClientEvent, SwitchyardError } from './client-events';
export type {
  ChangeEventDetails,
  ClientEventListener,
  ClientEventMap,
  ErrorEventDetails,
  ReadyEventDetails,
  SnapshotSource,
  StaleEventDetails,
  SwitchyardErrorKind,
} from './client-events';
export { SDK_VERSION } from './http-transport';
export type { ErrorCode, EvaluationContext, Reason, Segment, Snapshot, SnapshotFlag } from '@switchyard/core';
