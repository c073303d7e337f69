import { Body, Controller, Delete, Get, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Scopes, TokensService, actorOf, type Principal, type TokenView } from '@switchyard/auth';
import { ClientOriginRegistry } from '../client-access/client-origin-registry.service';
import { clientAccessOf } from '../client-access/client-token-request';
import { CreateTokenDto } from './create-token.dto';

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
  async create(@Body() body: CreateTokenDto, @CurrentPrincipal() principal: Principal): Promise<{ token: TokenView; secret: string }> {
    const created = await this.tokens.create(body.name, body.scopes, actorOf(principal), clientAccessOf(body.scopes, body.allowedOrigins, body.flagFilter));
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
