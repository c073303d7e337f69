import { Module } from '@nestjs/common';
import { TokensRepository } from '@switchyard/auth';
import { ClientCatalogRepository, FlagsModule } from '@switchyard/flags';
import { SseModule } from '../sse/sse.module';
import { ClientAccessService } from './client-access.service';
import { ClientController } from './client.controller';
import { ClientFlagCatalog } from './client-flag-catalog.service';
import { ClientOriginRegistry } from './client-origin-registry.service';
import { ClientStreamHub } from './client-stream.service';

/** Browser access with client tokens: origins, flag filters, rate limits, live evaluated values. */
@Module({
  imports: [FlagsModule, SseModule],
  controllers: [ClientController],
  // The two reads behind the background copies: client tokens' origins (auth) and flags' client marks (flags).
  providers: [TokensRepository, ClientCatalogRepository, ClientAccessService, ClientFlagCatalog, ClientOriginRegistry, ClientStreamHub],
  exports: [ClientAccessService, ClientFlagCatalog, ClientOriginRegistry, ClientStreamHub],
})
export class ClientAccessModule {}
