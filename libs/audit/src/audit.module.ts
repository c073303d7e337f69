import { Global, Module } from '@nestjs/common';
import { AuditRepository } from './audit.repository';
import { AuditService } from './audit.service';
import { ChangesService } from './changes.service';

@Global()
@Module({ providers: [AuditRepository, AuditService, ChangesService], exports: [AuditService, ChangesService] })
export class AuditModule {}
