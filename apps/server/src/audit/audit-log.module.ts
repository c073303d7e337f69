import { Module } from '@nestjs/common';
import { AuditLogController } from './audit-log.controller';
import { ChangesController } from './changes.controller';

@Module({ controllers: [AuditLogController, ChangesController] })
export class AuditLogModule {}
