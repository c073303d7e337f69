export { AuditService, type AuditEvent, type AuditEventInput, type AuditQuery } from './audit.service';
export { AuditModule } from './audit.module';
export type { AuditPage, WithActorName } from './audit.contract';
export type { ChangesPageView } from './change-timeline.contract';
export { ChangesService, type Change, type ChangesPage, type ChangesQuery } from './changes.service';
export { CHANGE_KINDS, describeChangeEvent, kindOfAction, linkOfChange, parseLookback, serviceOfEvent, type ChangeKind } from './change-timeline';
export { kindFilterSql, kindSql } from './changes.repository';
