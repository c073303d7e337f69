import { Module } from '@nestjs/common';
import { SessionController } from './session.controller';
import { UsersController } from './users.controller';

@Module({ controllers: [SessionController, UsersController] })
export class SessionModule {}
