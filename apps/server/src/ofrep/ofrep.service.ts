import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Principal } from '@switchyard/auth';
import { EnvironmentSnapshots } from '@switchyard/store';
import { ClientAccessService } from '../client-access/client-access.service';
import { clientContextOf } from '../client-access/client-context';
import { ClientFlagCatalog } from '../client-access/client-flag-catalog.service';
import { filterKey } from '../client-access/client-flag-filter';
import { clientEtag, evaluateAllForClient, evaluateForClient } from '../remote-evaluation/client-evaluation';
import { evaluateForOfrep } from '../remote-evaluation/ofrep-response';
import { environmentState, requestedEnvironment } from '../remote-evaluation/sdk-environment';
import { StreamHub } from '../sdk-delivery/stream-hub.service';

/** An OFREP answer for the controller to send: status, body, and the bulk answer's ETag. */
export interface OfrepReply {
  status: 200 | 304 | 400 | 404;
  body?: unknown;
  etag?: string;
}

type InvalidContext = { key?: string; errorCode: string; errorDetails: string };

/** Reads `{context}`; anything else is OFREP's INVALID_CONTEXT. */
function contextOf(body: unknown, key?: string): { context?: Record<string, unknown>; failure?: InvalidContext } {
  const context = body === undefined || body === null ? {} : (body as { context?: unknown }).context;
  if (context === undefined) return { context: {} };
  if (typeof context !== 'object' || context === null || Array.isArray(context)) {
    return { failure: { ...(key ? { key } : {}), errorCode: 'INVALID_CONTEXT', errorDetails: 'context must be a JSON object' } };
  }
  return { context: context as Record<string, unknown> };
}

const failed = (result: object): OfrepReply['status'] => ('errorCode' in result ? (result.errorCode === 'FLAG_NOT_FOUND' ? 404 : 400) : 200);

/**
 * OpenFeature Remote Evaluation Protocol over the replica's in-memory snapshot. Server-side
 * (`sdk:*`, `admin`) tokens get full answers with rule ids and change notification; browsers'
 * `client:<env>` tokens get the filtered, rule-free answers of `client-evaluation.ts` (their live
 * updates are /client/v1/stream).
 */
@Injectable()
export class OfrepService {
  constructor(
    private readonly snapshots: EnvironmentSnapshots,
    private readonly hub: StreamHub,
    private readonly client: ClientAccessService,
    private readonly catalog: ClientFlagCatalog,
  ) {}

  async evaluate(principal: Principal, environment: string | undefined, request: FastifyRequest, key: string, body: unknown): Promise<OfrepReply> {
    if (principal.client) {
      const grant = this.client.grant(principal, request, environment);
      const state = await environmentState(this.snapshots, grant.environment);
      const parsed = clientContextOf(body, key);
      if (parsed.failure) return { status: 400, body: parsed.failure };
      const result = evaluateForClient(state, key, parsed.context, (flag) => this.catalog.visible(grant.filter, flag));
      return { status: failed(result), body: result };
    }
    const state = await environmentState(this.snapshots, requestedEnvironment(principal, environment, request.headers));
    const { context, failure } = contextOf(body, key);
    if (failure) return { status: 400, body: failure };
    const result = evaluateForOfrep(state, key, context!);
    return { status: failed(result), body: result };
  }

  /** Every flag for one context; a current `If-None-Match` gets 304. */
  async bulk(principal: Principal, environment: string | undefined, request: FastifyRequest, body: unknown): Promise<OfrepReply> {
    if (principal.client) return this.clientBulk(principal, environment, request, body);
    const env = requestedEnvironment(principal, environment, request.headers);
    const state = await environmentState(this.snapshots, env);
    const { context, failure } = contextOf(body);
    if (failure) return { status: 400, body: failure };
    // The answer depends on the snapshot version and the context, so the ETag covers both.
    const etag = `W/"${state.environment}:${state.version}:${createHash('sha1').update(JSON.stringify(context)).digest('base64url').slice(0, 16)}"`;
    if (request.headers['if-none-match'] === etag) return { status: 304, etag };
    const flags = state.compiled.keys().map((key) => evaluateForOfrep(state, key, context!));
    const origin = `${request.protocol}://${request.host}`;
    return {
      status: 200,
      etag,
      body: {
        flags,
        metadata: { environment: state.environment, version: state.version },
        eventStreams: [{ type: 'sse', url: `${origin}/ofrep/v1/events?environment=${encodeURIComponent(env)}`, inactivityDelaySec: 120 }],
      },
    };
  }

  /** A browser's bulk answer: visible flags only, no rule ids, no eventStreams (its stream is /client/v1/stream). */
  private async clientBulk(principal: Principal, environment: string | undefined, request: FastifyRequest, body: unknown): Promise<OfrepReply> {
    const grant = this.client.grant(principal, request, environment);
    const state = await environmentState(this.snapshots, grant.environment);
    const parsed = clientContextOf(body);
    if (parsed.failure) return { status: 400, body: parsed.failure };
    const etag = clientEtag(state, filterKey(grant.filter), this.catalog.generation, parsed.contextJson);
    if (request.headers['if-none-match'] === etag) return { status: 304, etag };
    const flags = evaluateAllForClient(state, parsed.context, (flag) => this.catalog.visible(grant.filter, flag));
    return { status: 200, etag, body: { flags, metadata: { environment: state.environment, version: state.version } } };
  }

  /** Opens the change-notification stream: `{"type":"refetchEvaluation","etag":…}` per change. */
  async events(principal: Principal, environment: string | undefined, request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const state = await environmentState(this.snapshots, requestedEnvironment(principal, environment, request.headers));
    this.hub.attach(request, reply, state, 'ofrep');
  }
}
