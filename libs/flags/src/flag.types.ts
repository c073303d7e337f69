import type { Prerequisite, Rule, Serve } from '@switchyard/core';

// The wire views are defined once, in the browser-safe contract the admin UI imports too.
export type { EnvironmentView, FlagEnvironmentView, FlagView, FlagSummary, SegmentView, FlagVersionView } from './flag.contract';

/** `prerequisites` is absent rather than empty when there are none, so configs without them are stored as before. */
export type StoredConfig = { enabled: boolean; offVariant: string; rules: Rule[]; defaultServe: Serve; prerequisites?: Prerequisite[] };
