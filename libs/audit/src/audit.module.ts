import { Global, Module } from '@nestjs/common';
import { AuditService } from './audit.service';
import { ChangesService } from './changes.service';

@Global()
@Module({ providers: [AuditService, ChangesService], exports: [AuditService, ChangesService] })
export class AuditModule {}
