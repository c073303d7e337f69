import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { changeSentences, describeFlagChange, describeSegmentChange } from '@switchyard/core';
import { AuditService } from '@switchyard/audit';
import { AppError, ConflictError, ForbiddenError, NotFoundError, ValidationFailedError } from '@switchyard/errors';
import { Database } from '@switchyard/persistence';
import type { EnvironmentConfigPatch, UpdateFlagInput, UpdateSegmentInput } from './flag.schemas';
import type { FlagView, SegmentView } from './flag.types';
import { ApprovalRequiredError, FlagsService, type WriteContext } from './flags.service';
import type { ChangeOperation, ChangeRequestState, ChangeRequestView } from './change-request.contract';
import { ChangeRequestsRepository, type ChangeRequestRow } from './change-requests.repository';

/** A write's outcome: done at once, or waiting for another person's approval. */
export type WriteOutcome<T> = { applied: T } | { pending: ChangeRequestView };

/** Who reviews: the audit actor, and every identity that counts as the same person (a user, and the creator of a token). */
export interface Reviewer {
  actor: string;
  identities: string[];
}

/**
 * Whether `reviewer` is the same person as an author (four-eyes): the author's name, or any identity
 * behind the author's principal (the user, and the creator of the token the author used).
 */
export async function isAuthor(reviewer: Reviewer, author: string, authorPrincipal: string, identitiesOf: IdentitiesOf): Promise<boolean> {
  const authors = new Set([author, ...(await identitiesOf(authorPrincipal))]);
  return reviewer.identities.some((identity) => authors.has(identity)) || authors.has(reviewer.actor);
}

/** A request changed state, after its transaction committed (webhooks listen). */
export type ChangeRequestListener = (event: {
  action: `change-request.${'opened' | 'approved' | 'rejected' | 'withdrawn' | 'stale'}`;
  actor: string;
  request: ChangeRequestView;
}) => void;

/** The identities behind a request's author (`user:<id>` / `token:<id>`), resolved by the caller (tokens live in libs/auth). */
export type IdentitiesOf = (principal: string) => Promise<string[]>;

export interface ChangeRequestFilter {
  state?: ChangeRequestState;
  flag?: string;
  segment?: string;
}

export class ChangeRequestStaleError extends AppError {
  constructor(request: ChangeRequestView, currentVersion: number) {
    super(
      'CHANGE_REQUEST_STALE',
      `${request.target.kind} "${request.target.key}" is at version ${currentVersion}, not ${request.baseVersion} as when the request was made; nothing was applied — make a new request against version ${currentVersion}`,
      409,
      [{ path: 'baseVersion', problem: `is ${request.baseVersion} but the current version is ${currentVersion}` }],
      { currentVersion, state: 'stale' },
    );
  }
}

export class ChangeRequestClosedError extends AppError {
  constructor(request: Pick<ChangeRequestView, 'id' | 'state'>) {
    super(
      'CHANGE_REQUEST_CLOSED',
      `change request ${request.id} is ${request.state}, not pending; nothing was changed`,
      409,
      [{ path: 'state', problem: `is ${request.state}` }],
      { state: request.state },
    );
  }
}

export class FourEyesError extends AppError {
  constructor(message: string) {
    super('FOUR_EYES', message, 403);
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Four-eyes for environments that require approval. A write there is computed (a dry run, rolled
 * back) and kept as a pending request holding the exact result against the version it was made on;
 * another person approves it (applied in one transaction with closing the request, or not at all if
 * the flag moved), rejects it, or its author withdraws it. Every state change is an audit event.
 */
@Injectable()
export class ChangeRequestsService {
  private readonly listeners = new Set<ChangeRequestListener>();

  constructor(
    @Inject(Database) private readonly db: Pick<Database, 'manager' | 'transaction'>,
    @Inject(ChangeRequestsRepository) private readonly requests: ChangeRequestsRepository,
    @Inject(FlagsService) private readonly flags: FlagsService,
    @Inject(AuditService) private readonly audit: Pick<AuditService, 'record'>,
  ) {}

  /** Calls `listener` after every state change has committed; returns the unsubscribe. */
  onStateChange(listener: ChangeRequestListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  // ---- writes that may need approval ----------------------------------------------------------

  patchEnvironment(key: string, environment: string, patch: EnvironmentConfigPatch, ctx: WriteContext): Promise<WriteOutcome<FlagView>> {
    return this.flagWrite(
      key,
      ctx,
      (c) => this.flags.patchEnvironment(key, environment, patch, c),
      (preview) => environmentOperation(preview, environment),
    );
  }

  toggle(key: string, environment: string, enabled: boolean | undefined, ctx: WriteContext): Promise<WriteOutcome<FlagView>> {
    return this.flagWrite(
      key,
      ctx,
      (c) => this.flags.toggle(key, environment, enabled, c),
      (preview) => environmentOperation(preview, environment),
    );
  }

  updateFlag(key: string, input: UpdateFlagInput, ctx: WriteContext): Promise<WriteOutcome<FlagView>> {
    return this.flagWrite(
      key,
      ctx,
      (c) => this.flags.updateFlag(key, input, c),
      () => ({ kind: 'definition', input }),
    );
  }

  restore(key: string, version: number, ctx: WriteContext, environment?: string): Promise<WriteOutcome<FlagView>> {
    return this.flagWrite(
      key,
      ctx,
      (c) => this.flags.restore(key, version, c, environment),
      () => ({ kind: 'restore', version, ...(environment ? { environment } : {}) }),
    );
  }

  async updateSegment(key: string, input: UpdateSegmentInput, ctx: WriteContext): Promise<WriteOutcome<SegmentView>> {
    try {
      return { applied: await this.flags.updateSegment(key, input, ctx) };
    } catch (error) {
      if (!(error instanceof ApprovalRequiredError)) throw error;
      const before = await this.flags.getSegment(key);
      const after = await this.flags.updateSegment(key, input, { ...ctx, ifMatch: before.version, dryRun: true });
      return {
        pending: await this.open(ctx, {
          target: { kind: 'segment', key },
          environments: error.environments,
          operation: { kind: 'segment', input },
          baseVersion: before.version,
          before,
          after,
          summary: describeSegmentChange(before, after),
        }),
      };
    }
  }

  // ---- reading ------------------------------------------------------------------------------

  async list(filter: ChangeRequestFilter = {}): Promise<ChangeRequestView[]> {
    const rows = await this.requests.list(filter);
    return rows.map(toView);
  }

  async get(id: string): Promise<ChangeRequestView> {
    return toView(await this.row(this.db.manager, id));
  }

  // ---- decisions ----------------------------------------------------------------------------

  /**
   * Applies the request as reviewed, in one transaction with closing it. A flag (or segment) that
   * moved since makes it stale: 409, nothing written.
   */
  async approve(id: string, reviewer: Reviewer, comment: string | undefined, identitiesOf: IdentitiesOf): Promise<ChangeRequestView> {
    const request = await this.pending(id);
    await this.requireOtherPerson(request, reviewer, identitiesOf);
    const onApply = async (m: EntityManager, version: number) => {
      const closed = await this.requests.markApplied(m, id, reviewer.actor, comment ?? null, version);
      // Someone else decided it meanwhile: throwing rolls the write back with it.
      if (!closed) throw new ChangeRequestClosedError(toView(await this.row(m, id)));
      await this.record(m, request, 'change-request.approved', reviewer.actor, comment, { appliedVersion: version }, [
        `Change request approved and applied by ${reviewer.actor}${comment ? `: ${comment}` : ''}`,
      ]);
    };
    const ctx: WriteContext = {
      actor: request.author,
      comment: request.comment ?? undefined,
      ifMatch: request.baseVersion,
      changeRequest: { id, approvedBy: reviewer.actor, onApply },
    };
    try {
      await this.apply(request, ctx);
    } catch (error) {
      const current = error instanceof ConflictError ? error.extra.currentVersion : undefined;
      if (typeof current !== 'number') throw error;
      await this.close(request, 'stale', reviewer.actor, comment, { currentVersion: current }, [
        `Change request could not be applied: the ${request.target.kind} moved to version ${current} since version ${request.baseVersion}`,
      ]);
      throw new ChangeRequestStaleError(request, current);
    }
    const applied = await this.get(id);
    this.emit('change-request.approved', reviewer.actor, applied);
    return applied;
  }

  async reject(id: string, reviewer: Reviewer, comment: string | undefined, identitiesOf: IdentitiesOf): Promise<ChangeRequestView> {
    if (!comment) throw new ValidationFailedError([{ path: 'comment', problem: 'is required to reject a change request (say why)' }]);
    const request = await this.pending(id);
    await this.requireOtherPerson(request, reviewer, identitiesOf);
    await this.close(request, 'rejected', reviewer.actor, comment, {}, [`Change request rejected by ${reviewer.actor}: ${comment}`]);
    return this.get(id);
  }

  /** Only its author takes a request back (the same person through another token counts). */
  async withdraw(id: string, author: Reviewer, comment: string | undefined, identitiesOf: IdentitiesOf): Promise<ChangeRequestView> {
    const request = await this.pending(id);
    const authors = await identitiesOf(request.authorPrincipal);
    if (!author.identities.some((identity) => authors.includes(identity)))
      throw new ForbiddenError(`only the author (${request.author}) can withdraw change request ${id}`);
    await this.close(request, 'withdrawn', author.actor, comment, {}, [`Change request withdrawn by its author${comment ? `: ${comment}` : ''}`]);
    return this.get(id);
  }

  // ---- internals ----------------------------------------------------------------------------

  private async flagWrite(
    key: string,
    ctx: WriteContext,
    write: (ctx: WriteContext) => Promise<FlagView>,
    operationOf: (preview: FlagView) => ChangeOperation,
  ): Promise<WriteOutcome<FlagView>> {
    try {
      return { applied: await write(ctx) };
    } catch (error) {
      if (!(error instanceof ApprovalRequiredError)) throw error;
      const before = await this.flags.getFlag(key);
      // Pinned to the version read: the preview and the kept `before` describe the same base.
      const after = await write({ ...ctx, ifMatch: before.version, dryRun: true });
      const environments = await this.flags.environments();
      const operation = operationOf(after);
      const part = (flag: FlagView) =>
        operation.kind === 'environment' ? flag.environments[operation.environment] : { ...flag, environments: undefined, version: undefined };
      return {
        pending: await this.open(ctx, {
          target: { kind: 'flag', key },
          environments: error.environments,
          operation,
          baseVersion: before.version,
          before: operation.kind === 'environment' ? part(before) : before,
          after: operation.kind === 'environment' ? part(after) : after,
          summary: changeSentences(describeFlagChange(before, after, environments)),
        }),
      };
    }
  }

  private async open(
    ctx: WriteContext,
    request: Pick<ChangeRequestView, 'target' | 'environments' | 'operation' | 'baseVersion' | 'before' | 'after' | 'summary'>,
  ): Promise<ChangeRequestView> {
    const id = randomUUID();
    await this.db.transaction(async (m) => {
      await this.requests.insert(m, {
        id,
        targetKind: request.target.kind,
        targetKey: request.target.key,
        environments: request.environments,
        operation: JSON.stringify(request.operation),
        baseVersion: request.baseVersion,
        before: JSON.stringify(request.before ?? null),
        after: JSON.stringify(request.after ?? null),
        summary: JSON.stringify(request.summary),
        author: ctx.actor,
        authorPrincipal: ctx.principal ?? ctx.actor,
        comment: ctx.comment ?? null,
      });
      const opened = toView(await this.row(m, id));
      await this.record(m, opened, 'change-request.opened', ctx.actor, ctx.comment, { baseVersion: request.baseVersion }, [
        `Change request opened for ${request.environments.join(', ')}: ${request.summary.join('; ') || 'no visible change'}`,
      ]);
    });
    const opened = await this.get(id);
    this.emit('change-request.opened', ctx.actor, opened);
    return opened;
  }

  private apply(request: ChangeRequestView & { authorPrincipal: string }, ctx: WriteContext): Promise<unknown> {
    const { key } = request.target;
    const op = request.operation;
    switch (op.kind) {
      case 'environment':
        // The full reviewed configuration: rule ids and rollout salts included, so nothing is generated anew.
        // No prerequisites in the reviewed configuration means none, not "keep the current ones".
        return this.flags.patchEnvironment(key, op.environment, { ...op.config, prerequisites: op.config.prerequisites ?? [] } as EnvironmentConfigPatch, ctx);
      case 'definition':
        return this.flags.updateFlag(key, op.input as UpdateFlagInput, ctx);
      case 'restore':
        return this.flags.restore(key, op.version, ctx, op.environment);
      case 'segment':
        return this.flags.updateSegment(key, op.input as UpdateSegmentInput, ctx);
    }
  }

  private async close(
    request: ChangeRequestView,
    state: 'rejected' | 'withdrawn' | 'stale',
    actor: string,
    comment: string | undefined,
    meta: Record<string, unknown>,
    summary: string[],
  ): Promise<void> {
    await this.db.transaction(async (m) => {
      const closed = await this.requests.close(m, request.id, state, actor, comment ?? null);
      if (!closed) throw new ChangeRequestClosedError(toView(await this.row(m, request.id)));
      await this.record(m, request, `change-request.${state}`, actor, comment, meta, summary);
    });
    this.emit(`change-request.${state}`, actor, { ...request, state, reviewer: actor, reviewComment: comment ?? null });
  }

  private emit(action: Parameters<ChangeRequestListener>[0]['action'], actor: string, request: ChangeRequestView): void {
    for (const listener of this.listeners) {
      try {
        listener({ action, actor, request });
      } catch {
        // A listener (webhook delivery) never fails the decision that already committed.
      }
    }
  }

  private async record(
    m: EntityManager,
    request: ChangeRequestView,
    action: string,
    actor: string,
    comment: string | undefined,
    meta: Record<string, unknown>,
    summary: string[],
  ): Promise<void> {
    await this.audit.record(m, {
      actor,
      action,
      target: `${request.target.kind}:${request.target.key}`,
      environment: request.environments[0],
      before: request.before,
      after: request.after,
      meta: { changeRequest: request.id, author: request.author, environments: request.environments, ...meta },
      summary,
      comment,
    });
  }

  private async pending(id: string): Promise<ChangeRequestView & { authorPrincipal: string }> {
    const row = await this.row(this.db.manager, id);
    const request = { ...toView(row), authorPrincipal: row.author_principal };
    if (request.state !== 'pending') throw new ChangeRequestClosedError(request);
    return request;
  }

  private async requireOtherPerson(request: ChangeRequestView & { authorPrincipal: string }, reviewer: Reviewer, identitiesOf: IdentitiesOf): Promise<void> {
    if (await isAuthor(reviewer, request.author, request.authorPrincipal, identitiesOf))
      throw new FourEyesError(`change request ${request.id} was made by ${request.author}: someone else must review it`);
  }

  private async row(m: Pick<EntityManager, 'query'>, id: string): Promise<ChangeRequestRow> {
    if (!UUID.test(id)) throw new ValidationFailedError([{ path: 'id', problem: 'must be a change request id (a UUID)' }]);
    const row = await this.requests.byId(m, id);
    if (!row) throw new NotFoundError('change request', id);
    return row;
  }
}

function environmentOperation(preview: FlagView, environment: string): ChangeOperation {
  // Everything the environment's configuration holds (prerequisites too), without its bookkeeping.
  const { version: _version, updatedAt: _updatedAt, ...config } = preview.environments[environment];
  return { kind: 'environment', environment, config };
}

const iso = (value: Date | string | null) => (value === null ? null : new Date(value).toISOString());

function toView(row: ChangeRequestRow): ChangeRequestView {
  return {
    id: row.id,
    target: { kind: row.target_kind, key: row.target_key },
    environments: row.environments,
    operation: row.operation,
    baseVersion: row.base_version,
    before: row.before,
    after: row.after,
    summary: row.summary,
    state: row.state,
    author: row.author,
    comment: row.comment,
    reviewer: row.reviewer,
    reviewComment: row.review_comment,
    appliedVersion: row.applied_version,
    createdAt: iso(row.created_at)!,
    decidedAt: iso(row.decided_at),
  };
}
