import { Global, Module } from '@nestjs/common';
import { AuditRepository } from './audit.repository';
import { AuditService } from './audit.service';
import { ChangesRepository } from './changes.repository';
import { ChangesService } from './changes.service';

@Global()
@Module({ providers: [AuditRepository, AuditService, ChangesRepository, ChangesService], exports: [AuditService, ChangesService] })
export class AuditModule {}
