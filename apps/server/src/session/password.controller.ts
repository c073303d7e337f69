import { Body, Controller, HttpCode, Post, Req } from '@nestjs/common';
import { ApiBody, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { CurrentPrincipal, SESSION_COOKIE, Scopes, UsersService, cookieValue, type Principal } from '@switchyard/auth';
import { ForbiddenError } from '@switchyard/errors';
import { openApiRef, parseOptional } from '../http';
import { changePasswordSchema } from './session.dto';

/** A signed-in person's own password. */
@ApiTags('session')
@Controller('api/v1/session')
export class PasswordController {
  constructor(private readonly users: UsersService) {}

  // Every role holds one of these scopes; API tokens have no password, so the handler refuses them.
  @Post('password')
  @Scopes('flags:read', 'deploy:read')
  @HttpCode(204)
  @ApiBody({ schema: openApiRef(changePasswordSchema) })
  async change(@Body() body: unknown, @CurrentPrincipal() principal: Principal, @Req() request: FastifyRequest): Promise<void> {
    const { currentPassword, newPassword } = parseOptional(changePasswordSchema, body);
    if (principal.kind !== 'user') throw new ForbiddenError('only a signed-in person can change their password; API tokens have none');
    await this.users.changePassword(principal.id, cookieValue(request.headers.cookie, SESSION_COOKIE), currentPassword, newPassword, request.ip);
  }
}
