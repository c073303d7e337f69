import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Patch, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Scopes, UsersService, actorOf, type Principal, type UserView } from '@switchyard/auth';
import { openApiRef, parseOptional } from '../http';
import { createUserSchema, updateUserSchema } from './session.dto';

@ApiTags('users')
@ApiBearerAuth()
@Scopes('admin')
@Controller('api/v1/users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Get()
  async list(): Promise<{ items: UserView[] }> {
    return { items: await this.users.list() };
  }

  @Post()
  @ApiBody({ schema: openApiRef(createUserSchema) })
  create(@Body() body: unknown, @CurrentPrincipal() principal: Principal): Promise<UserView> {
    return this.users.create(parseOptional(createUserSchema, body), actorOf(principal));
  }

  @Patch(':id')
  @ApiBody({ schema: openApiRef(updateUserSchema) })
  update(@Param('id', new ParseUUIDPipe()) id: string, @Body() body: unknown, @CurrentPrincipal() principal: Principal): Promise<UserView> {
    return this.users.update(id, parseOptional(updateUserSchema, body), principal);
  }

  @Delete(':id')
  @HttpCode(204)
  async remove(@Param('id', new ParseUUIDPipe()) id: string, @CurrentPrincipal() principal: Principal): Promise<void> {
    await this.users.remove(id, principal);
  }
}
