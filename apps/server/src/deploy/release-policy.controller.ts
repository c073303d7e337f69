import { Body, Controller, Get, Headers, HttpCode, Param, Post, Put, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiConflictResponse, ApiHeader, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { CurrentPrincipal, Scopes, actorOf, type Principal } from '@switchyard/auth';
import { ReleasePoliciesService, type StoredPolicy } from '@switchyard/deploy';
import { etagOf, ifMatchOf, openApiRef, parseOptional, type RequestHeaders } from '../http';
import { acceptPolicySchema } from './accept-policy.dto';
import { ServiceNamePipe } from './service-name.pipe';

const POLICY_SCHEMA = {
  type: 'object',
  required: ['environments', 'repositories'],
  properties: {
    environments: {
      type: 'object',
      additionalProperties: {
        type: 'object',
        required: ['namespace'],
        properties: {
          namespace: { type: 'string', example: 'market-data-prod' },
          approval: { type: 'string', enum: ['required', 'none'], default: 'none' },
          fourEyes: { type: 'boolean', default: true, description: 'false: whoever started the release may approve it here' },
        },
      },
    },
    repositories: { type: 'array', items: { type: 'string', example: 'registry.example.com/team/market-data' } },
  },
};

/** The server's release policy of a service: what its pipeline file may ask for more of, never less. Admins only. */
@ApiTags('release policy')
@ApiBearerAuth()
@Controller('api/v1/services/:service/policy')
export class ReleasePolicyController {
  constructor(private readonly policies: ReleasePoliciesService) {}

  @Get()
  @Scopes('deploy:read', 'approve')
  @ApiOkResponse({ description: 'The policy with its version (also the ETag); 404 until an admin registers or accepts one' })
  async get(@Param('service', ServiceNamePipe) service: string, @Res({ passthrough: true }) reply: FastifyReply): Promise<StoredPolicy> {
    const stored = await this.policies.get(service);
    void reply.header('etag', etagOf(stored.version));
    return stored;
  }

  @Put()
  @Scopes('admin')
  @ApiHeader({ name: 'If-Match', required: false, description: 'The ETag read; a newer version answers 409' })
  @ApiBody({ schema: POLICY_SCHEMA })
  @ApiConflictResponse({ description: 'If-Match names an older version' })
  async put(
    @Param('service', ServiceNamePipe) service: string,
    @Body() body: unknown,
    @Headers() headers: RequestHeaders,
    @CurrentPrincipal() principal: Principal,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<StoredPolicy> {
    const stored = await this.policies.put(actorOf(principal), service, body, ifMatchOf(headers));
    void reply.header('etag', etagOf(stored.version));
    return stored;
  }

  /** Accepts the policy a first release proposes (its pipeline's environments, four-eyes on, its repository). */
  @Post('accept')
  @HttpCode(201)
  @Scopes('admin')
  @ApiConflictResponse({ description: 'The service already has a policy (change it with PUT)' })
  @ApiBody({ schema: openApiRef(acceptPolicySchema) })
  async accept(
    @Param('service', ServiceNamePipe) service: string,
    @Body() body: unknown,
    @CurrentPrincipal() principal: Principal,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<StoredPolicy> {
    const { releaseId } = parseOptional(acceptPolicySchema, body);
    const stored = await this.policies.accept(actorOf(principal), service, releaseId);
    void reply.header('etag', etagOf(stored.version));
    return stored;
  }
}
