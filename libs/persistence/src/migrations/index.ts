import { Installation1764180000000 } from './1764180000000-installation';
import { AuditAndTokens1764190000000 } from './1764190000000-audit-and-tokens';
import { FeatureStore1764200000000 } from './1764200000000-feature-store';
import { UsersAndSessions1764210000000 } from './1764210000000-users-and-sessions';
import { Releases1764216000000 } from './1764216000000-releases';
import { Mirror1764230000000 } from './1764230000000-mirror';
import { Rollouts1764240000000 } from './1764240000000-rollouts';
import { ReleasePolicies1764250000000 } from './1764250000000-release-policies';
import { MirrorScopes1764260000000 } from './1764260000000-mirror-scopes';
import { ChangeComments1764270000000 } from './1764270000000-change-comments';
import { DarkLaunch1764290000000 } from './1764290000000-dark-launch';
import { TimelineService1764300000000 } from './1764300000000-timeline-service';
import { VariantDescriptions1764320000000 } from './1764320000000-variant-descriptions';
import { ClientTokens1764330000000 } from './1764330000000-client-tokens';
import { ReleaseObjects1764340000000 } from './1764340000000-release-objects';
import { ChangeRequests1764350000000 } from './1764350000000-change-requests';
import { EnvironmentRoles1764380000000 } from './1764380000000-environment-roles';
import { FlagSchedules1764370000000 } from './1764370000000-flag-schedules';

/** Every migration, in order. Append new ones; never edit one that has landed. */
export const MIGRATIONS = [
  Installation1764180000000,
  AuditAndTokens1764190000000,
  FeatureStore1764200000000,
  UsersAndSessions1764210000000,
  Releases1764216000000,
  Mirror1764230000000,
  Rollouts1764240000000,
  ReleasePolicies1764250000000,
  MirrorScopes1764260000000,
  ChangeComments1764270000000,
  DarkLaunch1764290000000,
  TimelineService1764300000000,
  VariantDescriptions1764320000000,
  ClientTokens1764330000000,
  ReleaseObjects1764340000000,
  ChangeRequests1764350000000,
  FlagSchedules1764370000000,
  EnvironmentRoles1764380000000,
];
