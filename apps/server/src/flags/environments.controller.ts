import { Body, Controller, Get, Headers, Param, Patch, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Scopes, type Principal } from '@switchyard/auth';
import { FlagsService, createEnvironmentSchema, updateEnvironmentSchema, type EnvironmentView } from '@switchyard/flags';
import { openApiSchema, parseBody, type RequestHeaders } from '../http';
import { writeContext } from './write-context';

@ApiTags('environments')
@ApiBearerAuth()
@Controller('api/v1/environments')
export class EnvironmentsController {
  constructor(private readonly flags: FlagsService) {}

  @Get()
  @Scopes('flags:read', 'deploy:read')
  async list(): Promise<{ items: EnvironmentView[] }> {
    return { items: await this.flags.environments() };
  }

  @Post()
  @Scopes('admin')
  @ApiBody({ schema: openApiSchema(createEnvironmentSchema) })
  create(@Body() body: unknown, @CurrentPrincipal() principal: Principal, @Headers() headers: RequestHeaders): Promise<EnvironmentView> {
    return this.flags.createEnvironment(parseBody(createEnvironmentSchema, body), writeContext(principal, headers));
  }

  @Patch(':key')
  @Scopes('admin')
  @ApiBody({ schema: openApiSchema(updateEnvironmentSchema) })
  update(
    @Param('key') key: string,
    @Body() body: unknown,
    @CurrentPrincipal() principal: Principal,
    @Headers() headers: RequestHeaders,
  ): Promise<EnvironmentView> {
    return this.flags.updateEnvironment(key, parseBody(updateEnvironmentSchema, body), writeContext(principal, headers));
  }
}
