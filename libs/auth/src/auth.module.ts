import { Global, Module } from '@nestjs/common';
import { APP_GUARD, DiscoveryModule } from '@nestjs/core';
import { AuthGuard } from './auth.guard';
import { RouteDeclarationCheck } from './route-declaration.check';
import { SessionResolver } from './session.resolver';
import { TokensRepository } from './tokens.repository';
import { TokensService } from './tokens.service';
import { UsersRepository } from './users.repository';
import { UsersService } from './users.service';

@Global()
@Module({
  imports: [DiscoveryModule],
  providers: [
    TokensRepository,
    TokensService,
    UsersRepository,
    UsersService,
    SessionResolver,
    AuthGuard,
    RouteDeclarationCheck,
    { provide: APP_GUARD, useExisting: AuthGuard },
  ],
  exports: [TokensService, UsersService, AuthGuard, RouteDeclarationCheck],
})
export class AuthModule {}
