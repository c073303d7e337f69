import { Body, Controller, Delete, Get, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Scopes, TokensService, actorOf, scopesBeyond, type Principal, type TokenView } from '@switchyard/auth';
import { ForbiddenError } from '@switchyard/errors';
import { ClientOriginRegistry } from '../client-access/client-origin-registry.service';
import { clientAccessOf } from '../client-access/client-token-request';
import { openApiRef, parseOptional } from '../http';
import { createTokenSchema } from './create-token.dto';

@ApiTags('tokens')
@ApiBearerAuth()
@Scopes('admin')
@Controller('api/v1/tokens')
export class TokensController {
  constructor(
    private readonly tokens: TokensService,
    private readonly origins: ClientOriginRegistry,
  ) {}

  /** The secret is in this response only; it is stored as a hash. */
  @Post()
  @ApiBody({ schema: openApiRef(createTokenSchema) })
  async create(@Body() body: unknown, @CurrentPrincipal() principal: Principal): Promise<{ token: TokenView; secret: string }> {
    const { name, scopes, allowedOrigins, flagFilter } = parseOptional(createTokenSchema, body);
    // A token acts for whoever made it, so it may not do what they cannot (an admin who is a viewer in production).
    const beyond = scopesBeyond(principal, scopes);
    if (beyond.length) throw new ForbiddenError(`a token cannot hold more than its creator: you do not hold ${beyond.map((s) => `"${s}"`).join(', ')}`);
    const created = await this.tokens.create(name, scopes, actorOf(principal), clientAccessOf(scopes, allowedOrigins, flagFilter));
    // A page on a new origin should not wait for the next background refresh to pass its preflight.
    if (created.token.allowedOrigins.length > 0) await this.origins.refresh();
    return created;
  }

  @Get()
  async list(): Promise<{ items: TokenView[] }> {
    return { items: await this.tokens.list() };
  }

  @Delete(':id')
  revoke(@Param('id', new ParseUUIDPipe()) id: string, @CurrentPrincipal() principal: Principal): Promise<TokenView> {
    return this.tokens.revoke(id, actorOf(principal));
  }
}
