import { Module } from '@nestjs/common';
import { ClientAccessModule } from '../client-access/client-access.module';
import { TokensController } from './tokens.controller';

@Module({ imports: [ClientAccessModule], controllers: [TokensController] })
export class TokensModule {}
