import { Global, Module } from '@nestjs/common';
import { APP_GUARD, DiscoveryModule } from '@nestjs/core';
import { AuthGuard } from './auth.guard';
import { RouteDeclarationCheck } from './route-declaration.check';
import { TokensService } from './tokens.service';

@Global()
@Module({
  imports: [DiscoveryModule],
  providers: [TokensService, AuthGuard, RouteDeclarationCheck, { provide: APP_GUARD, useExisting: AuthGuard }],
  exports: [TokensService, AuthGuard, RouteDeclarationCheck],
})
export class AuthModule {}
