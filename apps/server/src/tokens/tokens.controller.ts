import { Body, Controller, Delete, Get, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Scopes, TokensService, actorOf, type Principal, type TokenView } from '@switchyard/auth';
import { CreateTokenDto } from './create-token.dto';

@ApiTags('tokens')
@ApiBearerAuth()
@Scopes('admin')
@Controller('api/v1/tokens')
export class TokensController {
  constructor(private readonly tokens: TokensService) {}

  /** The secret is in this response only; it is stored as a hash. */
  @Post()
  create(@Body() body: CreateTokenDto, @CurrentPrincipal() principal: Principal): Promise<{ token: TokenView; secret: string }> {
    return this.tokens.create(body.name, body.scopes, actorOf(principal));
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
