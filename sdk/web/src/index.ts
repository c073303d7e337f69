export { SwitchyardWebClient, createClient } from './web-client';
export type {
  ClientEvent,
  ClientListener,
  ClientOptions,
  ClientStatus,
  ErrorCode,
  EvaluationContext,
  FlagAnswer,
  FlagDetails,
  KeyValueStorage,
  Reason,
} from './types';
