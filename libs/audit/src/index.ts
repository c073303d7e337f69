export { AuditService, type AuditEvent, type AuditEventInput, type AuditQuery } from './audit.service';
export { AuditModule } from './audit.module';
export { ChangesService, type Change, type ChangesPage, type ChangesQuery } from './changes.service';
export {
  CHANGE_KINDS,
  describeChangeEvent,
  kindFilterSql,
  kindOfAction,
  kindSql,
  linkOfChange,
  parseLookback,
  serviceOfEvent,
  type ChangeKind,
} from './change-timeline';
