import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Patch, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Scopes, UsersService, actorOf, type Principal, type UserView } from '@switchyard/auth';
import { CreateUserDto, UpdateUserDto } from './session.dto';

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
  create(@Body() body: CreateUserDto, @CurrentPrincipal() principal: Principal): Promise<UserView> {
    return this.users.create(body, actorOf(principal));
  }

  @Patch(':id')
  update(@Param('id', new ParseUUIDPipe()) id: string, @Body() body: UpdateUserDto, @CurrentPrincipal() principal: Principal): Promise<UserView> {
    return this.users.update(id, body, principal);
  }

  @Delete(':id')
  @HttpCode(204)
  async remove(@Param('id', new ParseUUIDPipe()) id: string, @CurrentPrincipal() principal: Principal): Promise<void> {
    await this.users.remove(id, principal);
  }
}
