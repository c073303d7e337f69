export { AuditService, type AuditEvent, type AuditEventInput, type AuditQuery } from './audit.service';
export { AuditModule } from './audit.module';
