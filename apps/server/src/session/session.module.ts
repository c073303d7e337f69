import { Module } from '@nestjs/common';
import { PasswordController } from './password.controller';
import { SessionController } from './session.controller';
import { UsersController } from './users.controller';

@Module({ controllers: [SessionController, PasswordController, UsersController] })
export class SessionModule {}
