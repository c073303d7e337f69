import { Body, Controller, Headers, HttpCode, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CurrentPrincipal, Public, Scopes, TokensService, clientEnvironments, type Principal } from '@switchyard/auth';
import { ForbiddenError, UnauthenticatedError, ValidationFailedError } from '@switchyard/errors';
import { UsageService } from '@switchyard/flags';
import { EnvironmentSnapshots } from '@switchyard/store';
import { jsonDepthExceeds, MAX_JSON_DEPTH } from '../hostile-input';
import { openApiSchema, parseBody, type RequestHeaders } from '../http';
import { metricsSchema } from '../sdk-delivery/sdk.controller';
import { environmentState } from '../remote-evaluation/sdk-environment';
import { ClientAccessService } from './client-access.service';
import { clientContextOf } from './client-context';
import { corsAllows, setCorsHeaders } from './client-cors';
import { ClientFlagCatalog } from './client-flag-catalog.service';
import { ClientOriginRegistry } from './client-origin-registry.service';
import { requestOrigin } from './client-origins';
import { ClientStreamHub } from './client-stream.service';

type PrincipalRequest = FastifyRequest & { principal?: Principal };

const CONTEXT_SCHEMA = { type: 'object', properties: { context: { type: 'object', additionalProperties: true } } };

/** Routes only browsers use: the live stream of evaluated values, and usage beacons. */
@ApiTags('client')
@Controller('client/v1')
export class ClientController {
  constructor(
    private readonly access: ClientAccessService,
    private readonly snapshots: EnvironmentSnapshots,
    private readonly hub: ClientStreamHub,
    private readonly catalog: ClientFlagCatalog,
    private readonly origins: ClientOriginRegistry,
    private readonly tokens: TokensService,
    private readonly usage: UsageService,
  ) {}

  @Post('stream')
  @Scopes('client:*')
  @ApiBearerAuth()
  @ApiOperation({
    summary:
      'Server-Sent Events of evaluated values for the posted context: `values` (every visible flag) on connect, unless Last-Event-ID is the current ETag; then `changes` (only the answers that changed, and `removed` keys) whenever a visible value changes; `: ping` heartbeats. Read with fetch (it carries the token); frame ids are bulk ETags.',
  })
  @ApiBody({ schema: CONTEXT_SCHEMA })
  async stream(
    @Body() body: unknown,
    @CurrentPrincipal() principal: Principal,
    @Query('environment') environment: string | undefined,
    @Req() request: PrincipalRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const grant = this.access.grant(principal, request, environment);
    const state = await environmentState(this.snapshots, grant.environment);
    const parsed = clientContextOf(body);
    if (parsed.failure) return void reply.status(400).send(parsed.failure);
    this.hub.assertCapacity();
    // The stream takes the response over before onSend would run: CORS headers go on now.
    const origin = requestOrigin(request.headers);
    if (origin !== undefined && corsAllows(principal, origin, 200, this.origins)) setCorsHeaders(reply, origin);
    const lastEventId = request.headers['last-event-id'];
    this.hub.attach(
      request,
      reply,
      state,
      grant.filter,
      parsed.context,
      parsed.contextJson,
      Array.isArray(lastEventId) ? lastEventId[0] : lastEventId,
    );
  }

  @Post('usage')
  @Public()
  @HttpCode(202)
  @ApiOperation({
    summary:
      'Evaluation counts from browsers. Bearer token, or `clientToken` in the body for navigator.sendBeacon (which cannot set headers; send it as text/plain JSON)',
  })
  @ApiBody({ schema: openApiSchema(metricsSchema) })
  async recordUsage(@Body() body: unknown, @Headers() headers: RequestHeaders, @Req() request: PrincipalRequest): Promise<{ accepted: number }> {
    const parsed = usageBody(body);
    const principal = await this.usageCaller(headers, parsed.clientToken);
    request.principal = principal;
    const grant = this.access.grant(principal, request);
    const input = parseBody(metricsSchema, parsed.rest);
    await environmentState(this.snapshots, grant.environment);
    // Only flags this token can see: a page must not fill the usage tables with names of its choosing.
    const counts = input.counts.filter(
      (count) => this.catalog.visible(grant.filter, count.flag) && this.snapshots.get(grant.environment)?.compiled.flag(count.flag),
    );
    const accepted = await this.usage.record(grant.environment, counts, input.end ? new Date(input.end) : new Date());
    return { accepted };
  }

  private async usageCaller(headers: RequestHeaders, bodyToken: string | undefined): Promise<Principal> {
    const header = headers.authorization;
    const value = Array.isArray(header) ? header[0] : header;
    const secret = value ? /^Bearer\s+(\S+)$/i.exec(value)?.[1] : bodyToken;
    if (!secret) throw new UnauthenticatedError('a client token is required (Authorization: Bearer, or clientToken in the body)');
    const principal = await this.tokens.verify(secret);
    if (!principal) throw new UnauthenticatedError('the client token is unknown or revoked');
    if (clientEnvironments(principal.scopes).length === 0) throw new ForbiddenError('usage beacons take a client:<environment> token');
    return principal;
  }
}

/** The beacon body: JSON, possibly sent as text/plain; `clientToken` is taken out before validation. */
function usageBody(body: unknown): { clientToken?: string; rest: unknown } {
  let value = body;
  if (typeof body === 'string') {
    if (jsonDepthExceeds(body)) throw new ValidationFailedError([{ path: '(body)', problem: `must not nest deeper than ${MAX_JSON_DEPTH} levels` }]);
    try {
      value = JSON.parse(body) as unknown;
    } catch {
      throw new ValidationFailedError([{ path: '(body)', problem: 'must be JSON' }]);
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new ValidationFailedError([{ path: '(body)', problem: 'must be a JSON object' }]);
  const { clientToken, ...rest } = value as { clientToken?: unknown };
  if (clientToken !== undefined && (typeof clientToken !== 'string' || clientToken.length > 200)) {
    throw new ValidationFailedError([{ path: 'clientToken', problem: 'must be a token string' }]);
  }
  return { clientToken: clientToken as string | undefined, rest };
}
