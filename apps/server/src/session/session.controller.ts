import { Body, Controller, Delete, Get, HttpCode, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBody, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Public, SESSION_COOKIE, SESSION_MAX_AGE_SECONDS, UsersService, cookieValue, type SessionView } from '@switchyard/auth';
import { UnauthenticatedError } from '@switchyard/errors';
import { openApiRef, parseOptional } from '../http';
import { setupSchema, signInSchema } from './session.dto';

function setSessionCookie(request: FastifyRequest, reply: FastifyReply, secret: string, maxAge: number): void {
  const secure = request.protocol === 'https' ? '; Secure' : '';
  void reply.header('set-cookie', `${SESSION_COOKIE}=${encodeURIComponent(secret)}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${maxAge}${secure}`);
}

/** Browser sign-in: an httpOnly, SameSite=Strict session cookie plus a CSRF token for unsafe requests. */
@ApiTags('session')
@Public()
@Controller('api/v1')
export class SessionController {
  constructor(private readonly users: UsersService) {}

  @Get('setup')
  async setupNeeded(): Promise<{ needed: boolean }> {
    return { needed: await this.users.setupNeeded() };
  }

  @Post('setup')
  @ApiBody({ schema: openApiRef(setupSchema) })
  async setup(@Body() body: unknown, @Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<SessionView> {
    const input = parseOptional(setupSchema, body);
    const { session, secret } = await this.users.setup(input.adminToken, input);
    setSessionCookie(request, reply, secret, SESSION_MAX_AGE_SECONDS);
    return session;
  }

  @Post('session')
  @HttpCode(200)
  @ApiBody({ schema: openApiRef(signInSchema) })
  async signIn(@Body() body: unknown, @Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<SessionView> {
    const { email, password } = parseOptional(signInSchema, body);
    const { session, secret } = await this.users.signIn(email, password, request.ip);
    setSessionCookie(request, reply, secret, SESSION_MAX_AGE_SECONDS);
    return session;
  }

  /**
   * 401 when not signed in; with `?optional=true` a 200 `{ "user": null }` instead, so the UI can
   * ask at every start without a failed request in the browser's console.
   */
  @Get('session')
  @ApiQuery({ name: 'optional', required: false, enum: ['true'] })
  async current(@Req() request: FastifyRequest, @Query('optional') optional?: string): Promise<SessionView | { user: null }> {
    const secret = cookieValue(request.headers.cookie, SESSION_COOKIE);
    const session = secret ? await this.users.resolveSession(secret) : null;
    if (!session || !secret) {
      if (optional === 'true') return { user: null };
      throw new UnauthenticatedError('not signed in');
    }
    return this.users.sessionView(secret);
  }

  @Delete('session')
  @HttpCode(204)
  async signOut(@Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<void> {
    const secret = cookieValue(request.headers.cookie, SESSION_COOKIE);
    if (secret) await this.users.signOut(secret);
    setSessionCookie(request, reply, '', 0);
  }
}
