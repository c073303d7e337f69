import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import {
  changeSentences,
  changesEveryEnvironment,
  describeEnvironmentChange,
  describeFlagChange,
  describeSegmentChange,
  restoredFlag,
  validateFlagConfig,
  validateSegment,
  type FlagType,
  type Rule,
  type Serve,
} from '@switchyard/core';
import { AuditService } from '@switchyard/audit';
import { APP_CONFIG, type AppConfig } from '@switchyard/config';
import { AppError, ConflictError, NotFoundError, ValidationFailedError, type ErrorDetail } from '@switchyard/errors';
import { Database } from '@switchyard/persistence';
import { SnapshotPublisher, type EnvironmentChange } from '@switchyard/store';
import type {
  CreateEnvironmentInput,
  CreateFlagInput,
  CreateSegmentInput,
  EnvironmentConfigPatch,
  UpdateEnvironmentInput,
  UpdateFlagInput,
  UpdateSegmentInput,
} from './flag.schemas';
import type { EnvironmentView, FlagSummary, FlagVersionView, FlagView, SegmentView, StoredConfig } from './flag.types';
import { FlagsRepository, type FlagRecords } from './flags.repository';
import { assertNoDependants, assertPrerequisiteGraph, prerequisiteReferenceProblems, removedVariantProblems } from './prerequisites';

/** Who is writing, and which confirmation-guarded environments they confirmed (X-Switchyard-Confirm). */
export interface WriteContext {
  actor: string;
  confirmed?: string[];
  /** The version the caller last saw (If-Match); a different current version is a 409. */
  ifMatch?: number;
  /** Why (X-Switchyard-Comment); required by environments with requiresComment. */
  comment?: string;
  /** Who writes, as `user:<id>` / `token:<id>`: a change request's author, whom four-eyes keeps from approving it. */
  principal?: string;
  /** A release's flag-release step: the release's approval covers the write (and the audit says so). */
  coveredByRelease?: string;
  /** Applies an approved change request; `onApply` closes the request in the write's own transaction. */
  changeRequest?: { id: string; approvedBy: string; onApply: (m: EntityManager, version: number) => Promise<void> };
  /** Computes the write and rolls it back: the exact change a request shows for review. */
  dryRun?: boolean;
}

/**
 * A write to an environment that requires approval, made outside a change request. The API never
 * answers with it (ChangeRequestsService turns it into a pending request); code calling FlagsService
 * directly does.
 */
export class ApprovalRequiredError extends AppError {
  constructor(readonly environments: string[]) {
    super('APPROVAL_REQUIRED', `changes to ${environments.join(', ')} need an approved change request`, 409, [
      { path: 'environment', problem: `${environments.join(', ')} requires approval` },
    ]);
  }
}

/** Carries a dry run's result out of its transaction, which throwing rolls back. */
class DryRunRollback {
  constructor(readonly result: unknown) {}
}

export interface FlagListFilter {
  search?: string;
  tag?: string;
  owner?: string;
  stale?: boolean;
  archived?: boolean;
}

export class ConfirmationRequiredError extends AppError {
  constructor(environments: string[]) {
    super('CONFIRMATION_REQUIRED', `changes to ${environments.join(', ')} must be confirmed: send X-Switchyard-Confirm: ${environments.join(',')}`, 428, [
      { path: 'environment', problem: `${environments.join(', ')} requires confirmation` },
    ]);
  }
}

const newId = () => randomBytes(6).toString('base64url');

/**
 * Flags, segments and environments. Every write is one transaction holding the change, a version
 * row and an audit event; the touched environments' snapshot versions are bumped in it, and the new
 * snapshots are published after commit.
 */
@Injectable()
export class FlagsService {
  // Typed by what is used, injected by the classes' tokens, so unit tests can pass in-memory fakes (src/testing/).
  constructor(
    @Inject(Database) private readonly db: Pick<Database, 'manager' | 'transaction'>,
    @Inject(FlagsRepository) private readonly repo: FlagRecords,
    @Inject(AuditService) private readonly audit: Pick<AuditService, 'record'>,
    @Inject(SnapshotPublisher) private readonly publisher: Pick<SnapshotPublisher, 'publish'>,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  // ---- environments -------------------------------------------------------------------------

  environments(): Promise<EnvironmentView[]> {
    return this.repo.environments(this.db.manager);
  }

  async createEnvironment(input: CreateEnvironmentInput, ctx: WriteContext): Promise<EnvironmentView> {
    return this.write(ctx, async (m) => {
      const existing = await this.repo.environments(m);
      if (existing.some((env) => env.key === input.key)) throw new ConflictError(`environment "${input.key}" already exists`);
      await this.repo.insertEnvironment(
        m,
        {
          key: input.key,
          name: input.name ?? input.key,
          requiresConfirmation: input.requiresConfirmation ?? false,
          requiresComment: input.requiresComment ?? false,
          requireApproval: input.requireApproval ?? false,
          killSwitchSkipsApproval: input.killSwitchSkipsApproval ?? false,
        },
        existing.length,
      );
      // Every existing flag gets a disabled configuration there, so snapshots are complete.
      const flags = await this.repo.listFlags(m, true);
      for (const flag of flags) await this.repo.upsertFlagEnvironment(m, flag.key, input.key, defaultConfig(flag.type, flag.variants));
      const versions = await this.repo.bumpEnvironments(m, [input.key]);
      const created = (await this.repo.environments(m)).find((env) => env.key === input.key)!;
      await this.audit.record(m, {
        actor: ctx.actor,
        action: 'environment.created',
        target: `environment:${input.key}`,
        environment: input.key,
        after: created,
        comment: ctx.comment,
      });
      return { result: created, changes: [{ environment: input.key, version: versions.get(input.key)!, flagKeys: flags.map((f) => f.key), segmentKeys: [] }] };
    });
  }

  async updateEnvironment(key: string, input: UpdateEnvironmentInput, ctx: WriteContext): Promise<EnvironmentView> {
    return this.write(ctx, async (m) => {
      const before = (await this.repo.environments(m)).find((env) => env.key === key);
      if (!before) throw new NotFoundError('environment', key);
      await this.repo.updateEnvironment(m, {
        key,
        name: input.name ?? before.name,
        requiresConfirmation: input.requiresConfirmation ?? before.requiresConfirmation,
        requiresComment: input.requiresComment ?? before.requiresComment,
        requireApproval: input.requireApproval ?? before.requireApproval,
        killSwitchSkipsApproval: input.killSwitchSkipsApproval ?? before.killSwitchSkipsApproval,
      });
      const after = (await this.repo.environments(m)).find((env) => env.key === key)!;
      await this.audit.record(m, {
        actor: ctx.actor,
        action: 'environment.updated',
        target: `environment:${key}`,
        environment: key,
        before,
        after,
        comment: ctx.comment,
      });
      return { result: after, changes: [] };
    });
  }

  // ---- flags ---------------------------------------------------------------------------------

  async listFlags(filter: FlagListFilter = {}): Promise<FlagSummary[]> {
    let flags: FlagSummary[] = await this.repo.listFlags(this.db.manager, filter.archived ?? false);
    if (filter.archived) flags = flags.filter((flag) => flag.archived);
    if (filter.search) {
      const needle = filter.search.toLowerCase();
      flags = flags.filter((flag) => flag.key.includes(needle) || flag.name.toLowerCase().includes(needle) || flag.description.toLowerCase().includes(needle));
    }
    if (filter.tag) flags = flags.filter((flag) => flag.tags.includes(filter.tag!));
    if (filter.owner) flags = flags.filter((flag) => flag.owner === filter.owner);
    if (filter.stale !== undefined) {
      const marked = await this.markStale(flags);
      flags = marked.filter((flag) => Boolean(flag.stale) === filter.stale);
    }
    return flags;
  }

  async getFlag(key: string): Promise<FlagView> {
    const flag = await this.repo.findFlag(this.db.manager, key);
    if (!flag) throw new NotFoundError('flag', key);
    return flag;
  }

  async createFlag(input: CreateFlagInput, ctx: WriteContext): Promise<FlagView> {
    const type = input.type as FlagType;
    const variants = input.variants ?? (type === 'boolean' ? { on: true, off: false } : undefined);
    if (!variants || Object.keys(variants).length === 0)
      throw new ValidationFailedError([{ path: 'variants', problem: `a ${type} flag needs at least one variant` }]);
    const variantDescriptions = describedVariants(variants, input.variantDescriptions);
    return this.write(ctx, async (m) => {
      if (await this.repo.findFlag(m, input.key))
        throw new ConflictError(`flag "${input.key}" already exists`, {}, [{ path: 'key', problem: 'is already taken' }]);
      const environments = await this.repo.environments(m);
      const known = new Set(environments.map((env) => env.key));
      const unknown = Object.keys(input.environments ?? {}).filter((env) => !known.has(env));
      if (unknown.length) throw new ValidationFailedError(unknown.map((env) => ({ path: `environments.${env}`, problem: 'is not an environment' })));
      // Targeting set at creation is a change to that environment like any other; a flag created off
      // everywhere (no targeting given) changes nothing that evaluates, so it needs no confirmation.
      this.requireConfirmation(environments, Object.keys(input.environments ?? {}), ctx);
      this.requireComment(environments, Object.keys(input.environments ?? {}), ctx);
      // A new flag's targeting in an approval environment is a request against a version that does not exist yet.
      this.requireApproval(environments, Object.keys(input.environments ?? {}), ctx);
      const segments = await this.repo.segmentKeys(m);
      const configs = new Map<string, StoredConfig>();
      const problems: ErrorDetail[] = [];
      for (const env of environments) {
        const config = applyPatch(defaultConfig(type, variants), input.environments?.[env.key] ?? {}, undefined);
        problems.push(...this.problems(input.key, type, variants, config, segments, `environments.${env.key}.`));
        configs.set(env.key, config);
      }
      if (problems.length) throw new ValidationFailedError(distinct(problems));
      await this.checkPrerequisites(
        m,
        input.key,
        [...configs].map(([environment, config]) => ({ environment, config, prefix: `environments.${environment}.` })),
      );
      await this.repo.insertFlag(m, {
        key: input.key,
        name: input.name ?? input.key,
        description: input.description ?? '',
        tags: input.tags ?? [],
        clientSide: input.clientSide ?? false,
        owner: input.owner ?? null,
        type,
        variants,
        variantDescriptions,
      });
      for (const [env, config] of configs) await this.repo.upsertFlagEnvironment(m, input.key, env, config);
      const flag = (await this.repo.findFlag(m, input.key))!;
      await this.repo.insertFlagVersion(m, flag, ctx.actor, ctx.comment);
      await this.audit.record(m, {
        actor: ctx.actor,
        action: 'flag.created',
        target: `flag:${flag.key}`,
        after: flag,
        meta: { version: flag.version },
        summary: changeSentences(describeFlagChange(undefined, flag, environments)),
        comment: ctx.comment,
      });
      return {
        result: flag,
        changes: await this.bumpAll(
          m,
          environments.map((e) => e.key),
          [flag.key],
          [],
        ),
      };
    });
  }

  async updateFlag(key: string, input: UpdateFlagInput, ctx: WriteContext): Promise<FlagView> {
    return this.write(ctx, async (m) => {
      const before = await this.lockForWrite(m, key, ctx);
      const next: FlagView = {
        ...before,
        name: input.name ?? before.name,
        description: input.description ?? before.description,
        tags: input.tags ?? before.tags,
        clientSide: input.clientSide ?? before.clientSide,
        owner: input.owner === undefined ? before.owner : input.owner,
        variants: input.variants ?? before.variants,
        archived: input.archived ?? before.archived,
      };
      // Descriptions follow their variants: a removed variant's description goes with it.
      next.variantDescriptions = describedVariants(next.variants, input.variantDescriptions, before.variantDescriptions);
      if (input.variants) {
        if (Object.keys(input.variants).length === 0) throw new ValidationFailedError([{ path: 'variants', problem: 'must have at least one variant' }]);
        const segments = await this.repo.segmentKeys(m);
        const problems = distinct(
          Object.entries(before.environments).flatMap(([env, config]) =>
            this.problems(key, before.type, next.variants, config, segments, `environments.${env}.`),
          ),
        );
        if (problems.length)
          throw new ValidationFailedError(problems, `the new variants do not fit the current targeting: ${problems[0].path}: ${problems[0].problem}`);
      }
      if (input.variants || (next.archived && !before.archived)) {
        // Flags that list this one as a prerequisite would silently fail it: refuse, naming them.
        const all = await this.repo.listFlags(m, false);
        if (next.archived && !before.archived) assertNoDependants(key, all);
        const removed = input.variants ? removedVariantProblems(key, next.variants, all) : [];
        if (removed.length) throw new ValidationFailedError(removed);
      }
      const snapshotRelevant = input.variants !== undefined || (input.archived !== undefined && input.archived !== before.archived);
      const envs = await this.repo.environments(m);
      let approval: Record<string, unknown> = {};
      if (snapshotRelevant) {
        this.requireConfirmation(envs, Object.keys(before.environments), ctx);
        this.requireComment(envs, Object.keys(before.environments), ctx);
        approval = this.requireApproval(envs, Object.keys(before.environments), ctx);
      }
      await this.repo.updateFlagDefinition(m, next);
      const after = (await this.repo.findFlag(m, key))!;
      await this.repo.insertFlagVersion(m, after, ctx.actor, ctx.comment);
      const action =
        input.archived === true && !before.archived ? 'flag.archived' : input.archived === false && before.archived ? 'flag.unarchived' : 'flag.updated';
      await this.audit.record(m, {
        actor: ctx.actor,
        action,
        target: `flag:${key}`,
        before: definitionOf(before),
        after: definitionOf(after),
        meta: { version: after.version, ...approval },
        summary: withApproval(changeSentences(describeFlagChange(before, after, envs)), approval),
        comment: ctx.comment,
      });
      await ctx.changeRequest?.onApply(m, after.version);
      const changes = snapshotRelevant ? await this.bumpAll(m, Object.keys(after.environments), [key], []) : [];
      return { result: after, changes };
    });
  }

  archiveFlag(key: string, ctx: WriteContext): Promise<FlagView> {
    return this.updateFlag(key, { archived: true }, ctx);
  }

  async patchEnvironment(key: string, environment: string, patch: EnvironmentConfigPatch, ctx: WriteContext): Promise<FlagView> {
    return this.write(ctx, async (m) => {
      const before = await this.lockForWrite(m, key, ctx);
      const envs = await this.repo.environments(m);
      const current = before.environments[environment];
      if (!current || !envs.some((env) => env.key === environment)) throw new NotFoundError('environment', environment);
      this.requireConfirmation(envs, [environment], ctx);
      this.requireComment(envs, [environment], ctx);
      const config = applyPatch(stored(current), patch, stored(current));
      const problems = this.problems(key, before.type, before.variants, config, await this.repo.segmentKeys(m), '');
      if (problems.length) throw new ValidationFailedError(problems);
      if (patch.prerequisites !== undefined) await this.checkPrerequisites(m, key, [{ environment, config, prefix: '' }]);
      const action =
        patch.enabled !== undefined && patch.enabled !== current.enabled && Object.keys(patch).length === 1 ? 'flag.toggled' : 'flag.environment.updated';
      const approval = this.requireApproval(envs, [environment], ctx, isKillSwitch(stored(current), config));
      return this.saveEnvironmentConfig(m, before, environment, config, { ...ctx, approval }, action, envs);
    });
  }

  async toggle(key: string, environment: string, enabled: boolean | undefined, ctx: WriteContext): Promise<FlagView> {
    return this.write(ctx, async (m) => {
      const before = await this.lockForWrite(m, key, ctx);
      const envs = await this.repo.environments(m);
      const current = before.environments[environment];
      if (!current || !envs.some((env) => env.key === environment)) throw new NotFoundError('environment', environment);
      this.requireConfirmation(envs, [environment], ctx);
      this.requireComment(envs, [environment], ctx);
      const config = { ...stored(current), enabled: enabled ?? !current.enabled };
      const approval = this.requireApproval(envs, [environment], ctx, isKillSwitch(stored(current), config));
      return this.saveEnvironmentConfig(m, before, environment, config, { ...ctx, approval }, 'flag.toggled', envs);
    });
  }

  async versions(key: string): Promise<FlagVersionView[]> {
    await this.getFlag(key);
    const rows = await this.repo.flagVersions(this.db.manager, key);
    return rows.map((row) => ({
      version: row.version,
      actor: row.actor,
      createdAt: new Date(row.created_at).toISOString(),
      comment: row.comment,
      definition: row.definition,
    }));
  }

  async version(key: string, version: number): Promise<FlagVersionView> {
    const row = await this.repo.flagVersion(this.db.manager, key, version);
    if (!row) throw new NotFoundError('flag version', `${key}@${version}`);
    return { version: row.version, actor: row.actor, createdAt: new Date(row.created_at).toISOString(), comment: row.comment, definition: row.definition };
  }

  /**
   * Writes an earlier version's definition and targeting as a new version (history is never
   * rewritten), or with `environment` only that environment's targeting. It changes exactly what
   * `restoredFlag` and `describeFlagChange` say, so the restore dialog lists what happens: the
   * environments whose targeting differs, and every environment when variants or archiving change.
   */
  async restore(key: string, version: number, ctx: WriteContext, environment?: string): Promise<FlagView> {
    return this.write(ctx, async (m) => {
      const before = await this.lockForWrite(m, key, ctx);
      const old = await this.repo.flagVersion(m, key, version);
      if (!old) throw new NotFoundError('flag version', `${key}@${version}`);
      const envs = await this.repo.environments(m);
      if (environment !== undefined && !before.environments[environment]) throw new NotFoundError('environment', environment);
      const target = restoredFlag(before, old.definition, environment);
      const changedEnvs = envs.map((env) => env.key).filter((env) => describeEnvironmentChange(before.environments[env], target.environments[env]).length > 0);
      const touched = changesEveryEnvironment(before, target) ? envs.map((env) => env.key) : changedEnvs;
      this.requireConfirmation(envs, touched, ctx);
      this.requireComment(envs, touched, ctx);
      const approval = this.requireApproval(envs, touched, ctx);
      const segments = await this.repo.segmentKeys(m);
      // Restored variants must fit every environment's targeting, not only the restored ones.
      const problems = distinct(
        Object.entries(target.environments).flatMap(([env, config]) =>
          this.problems(key, before.type, target.variants, stored(config), segments, `environments.${env}.`),
        ),
      );
      if (problems.length) throw new ValidationFailedError(problems, `version ${version} cannot be restored: ${problems[0].path}: ${problems[0].problem}`);
      // The restored prerequisites must still fit the other flags as they are now.
      await this.checkPrerequisites(
        m,
        key,
        changedEnvs.map((env) => ({ environment: env, config: stored(target.environments[env]), prefix: `environments.${env}.` })),
      );
      await this.repo.updateFlagDefinition(m, target);
      for (const env of changedEnvs) await this.repo.upsertFlagEnvironment(m, key, env, stored(target.environments[env]));
      const after = (await this.repo.findFlag(m, key))!;
      await this.repo.insertFlagVersion(m, after, ctx.actor, ctx.comment);
      await this.audit.record(m, {
        actor: ctx.actor,
        action: 'flag.restored',
        target: `flag:${key}`,
        environment,
        before,
        after,
        meta: { restoredVersion: version, version: after.version, ...(environment ? { restoredEnvironment: environment } : {}), ...approval },
        summary: withApproval(changeSentences(describeFlagChange(before, after, envs)), approval),
        comment: ctx.comment,
      });
      await ctx.changeRequest?.onApply(m, after.version);
      return { result: after, changes: await this.bumpAll(m, touched, [key], []) };
    });
  }

  // ---- segments ------------------------------------------------------------------------------

  segments(): Promise<SegmentView[]> {
    return this.repo.segments(this.db.manager);
  }

  async getSegment(key: string): Promise<SegmentView> {
    const segment = await this.repo.findSegment(this.db.manager, key);
    if (!segment) throw new NotFoundError('segment', key);
    return segment;
  }

  async createSegment(input: CreateSegmentInput, ctx: WriteContext): Promise<SegmentView> {
    return this.write(ctx, async (m) => {
      if (await this.repo.findSegment(m, input.key))
        throw new ConflictError(`segment "${input.key}" already exists`, {}, [{ path: 'key', problem: 'is already taken' }]);
      const segment = { key: input.key, conditions: input.conditions as SegmentView['conditions'] };
      await this.validateSegmentOrThrow(m, segment);
      await this.repo.insertSegment(m, { ...segment, name: input.name ?? input.key, description: input.description ?? '' });
      const created = (await this.repo.findSegment(m, input.key))!;
      await this.repo.insertSegmentVersion(m, created, ctx.actor);
      await this.audit.record(m, {
        actor: ctx.actor,
        action: 'segment.created',
        target: `segment:${input.key}`,
        after: created,
        summary: describeSegmentChange(undefined, created),
        comment: ctx.comment,
      });
      const envs = await this.repo.environments(m);
      return {
        result: created,
        changes: await this.bumpAll(
          m,
          envs.map((e) => e.key),
          [],
          [input.key],
        ),
      };
    });
  }

  async updateSegment(key: string, input: UpdateSegmentInput, ctx: WriteContext): Promise<SegmentView> {
    return this.write(ctx, async (m) => {
      const before = await this.repo.findSegment(m, key, true);
      if (!before) throw new NotFoundError('segment', key);
      if (ctx.ifMatch !== undefined && ctx.ifMatch !== before.version) throw staleVersion('segment', key, before.version, ctx.ifMatch);
      const next: SegmentView = {
        ...before,
        name: input.name ?? before.name,
        description: input.description ?? before.description,
        conditions: (input.conditions as SegmentView['conditions']) ?? before.conditions,
      };
      const envs = await this.repo.environments(m);
      let approval: Record<string, unknown> = {};
      if (input.conditions) {
        await this.validateSegmentOrThrow(m, next);
        // A segment change changes every flag using it, so it needs the same confirmation.
        this.requireConfirmation(
          envs,
          envs.map((e) => e.key),
          ctx,
        );
        this.requireComment(
          envs,
          envs.map((e) => e.key),
          ctx,
        );
        approval = this.requireApproval(envs, await this.environmentsUsingSegment(m, envs, key), ctx);
      }
      await this.repo.updateSegment(m, next);
      const after = (await this.repo.findSegment(m, key))!;
      await this.repo.insertSegmentVersion(m, after, ctx.actor);
      await this.audit.record(m, {
        actor: ctx.actor,
        action: 'segment.updated',
        target: `segment:${key}`,
        before,
        after,
        ...(Object.keys(approval).length ? { meta: approval } : {}),
        summary: withApproval(describeSegmentChange(before, after), approval),
        comment: ctx.comment,
      });
      await ctx.changeRequest?.onApply(m, after.version);
      const changes = input.conditions
        ? await this.bumpAll(
            m,
            envs.map((e) => e.key),
            [],
            [key],
          )
        : [];
      return { result: after, changes };
    });
  }

  async deleteSegment(key: string, ctx: WriteContext): Promise<void> {
    await this.write(ctx, async (m) => {
      const before = await this.repo.findSegment(m, key, true);
      if (!before) throw new NotFoundError('segment', key);
      if (ctx.ifMatch !== undefined && ctx.ifMatch !== before.version) throw staleVersion('segment', key, before.version, ctx.ifMatch);
      const users = await this.repo.segmentUsers(m, key);
      if (users.flags.length || users.segments.length) {
        throw new ConflictError(`segment "${key}" is still used`, { usedBy: users }, [
          ...users.flags.map((flag) => ({ path: `flags.${flag}`, problem: 'references this segment' })),
          ...users.segments.map((segment) => ({ path: `segments.${segment}`, problem: 'references this segment' })),
        ]);
      }
      await this.repo.deleteSegment(m, key);
      await this.audit.record(m, {
        actor: ctx.actor,
        action: 'segment.deleted',
        target: `segment:${key}`,
        before,
        summary: ['Segment deleted'],
        comment: ctx.comment,
      });
      const envs = await this.repo.environments(m);
      return {
        result: undefined,
        changes: await this.bumpAll(
          m,
          envs.map((e) => e.key),
          [],
          [key],
        ),
      };
    });
  }

  // ---- internals ----------------------------------------------------------------------------

  private async write<T>(ctx: WriteContext, work: (m: EntityManager) => Promise<{ result: T; changes: EnvironmentChange[] }>): Promise<T> {
    if (ctx.dryRun) {
      try {
        await this.db.transaction(async (m) => {
          throw new DryRunRollback((await work(m)).result);
        });
      } catch (outcome) {
        if (outcome instanceof DryRunRollback) return outcome.result as T;
        throw outcome;
      }
    }
    const { result, changes } = await this.db.transaction(work);
    // After commit, and awaited: the caller's next SDK read on this replica sees the change.
    if (changes.length) await this.publisher.publish(changes.map((change) => ({ ...change, actor: ctx.actor })));
    return result;
  }

  private async lockForWrite(m: EntityManager, key: string, ctx: WriteContext): Promise<FlagView> {
    const flag = await this.repo.lockFlag(m, key);
    if (!flag) throw new NotFoundError('flag', key);
    if (ctx.ifMatch !== undefined && ctx.ifMatch !== flag.version) throw staleVersion('flag', key, flag.version, ctx.ifMatch);
    return flag;
  }

  private async saveEnvironmentConfig(
    m: EntityManager,
    before: FlagView,
    environment: string,
    config: StoredConfig,
    ctx: WriteContext & { approval: Record<string, unknown> },
    action: string,
    envs: EnvironmentView[],
  ) {
    await this.repo.upsertFlagEnvironment(m, before.key, environment, config);
    await this.repo.updateFlagDefinition(m, before);
    const after = (await this.repo.findFlag(m, before.key))!;
    await this.repo.insertFlagVersion(m, after, ctx.actor, ctx.comment);
    await this.audit.record(m, {
      actor: ctx.actor,
      action,
      target: `flag:${before.key}`,
      environment,
      before: before.environments[environment],
      after: after.environments[environment],
      meta: { version: after.version, ...ctx.approval },
      summary: withApproval(changeSentences(describeFlagChange(before, after, envs)), ctx.approval),
      comment: ctx.comment,
    });
    await ctx.changeRequest?.onApply(m, after.version);
    return { result: after, changes: await this.bumpAll(m, [environment], [before.key], []) };
  }

  private async bumpAll(m: EntityManager, environments: string[], flagKeys: string[], segmentKeys: string[]): Promise<EnvironmentChange[]> {
    const versions = await this.repo.bumpEnvironments(m, environments);
    return [...versions].map(([environment, version]) => ({ environment, version, flagKeys, segmentKeys }));
  }

  private requireConfirmation(envs: EnvironmentView[], touched: string[], ctx: WriteContext): void {
    const confirmed = new Set(ctx.confirmed ?? []);
    // An environment that requires approval is confirmed by its approver, not by a header its author sends.
    const missing = envs
      .filter((env) => env.requiresConfirmation && !env.requireApproval && touched.includes(env.key) && !confirmed.has(env.key))
      .map((env) => env.key);
    if (missing.length) throw new ConfirmationRequiredError(missing);
  }

  /**
   * Lets a write to approval environments through only as an approved change request, a dry run
   * (its preview), a release step (covered by the release's approval) or, where the environment
   * allows it, a kill switch (turning a flag off). Returns what the audit event records about it.
   */
  private requireApproval(envs: EnvironmentView[], touched: string[], ctx: WriteContext, killSwitch = false): Record<string, unknown> {
    const guarded = envs.filter((env) => env.requireApproval && touched.includes(env.key));
    if (guarded.length === 0 || ctx.dryRun) return {};
    if (ctx.changeRequest) return { approval: { changeRequest: ctx.changeRequest.id, approvedBy: ctx.changeRequest.approvedBy } };
    if (ctx.coveredByRelease) return { approval: { coveredByRelease: ctx.coveredByRelease } };
    if (killSwitch && guarded.every((env) => env.killSwitchSkipsApproval)) return { approval: { killSwitch: true } };
    throw new ApprovalRequiredError(guarded.map((env) => env.key));
  }

  /** Approval environments where a flag uses the segment, directly or through another segment. */
  private async environmentsUsingSegment(m: EntityManager, envs: EnvironmentView[], key: string): Promise<string[]> {
    const guarded = envs.filter((env) => env.requireApproval);
    if (guarded.length === 0) return [];
    const segments = await this.repo.segments(m);
    const using = new Set([key]);
    for (let grew = true; grew;) {
      grew = false;
      for (const segment of segments) {
        if (!using.has(segment.key) && segment.conditions.some((c) => c.operator === 'in_segment' && c.values.some((v) => using.has(String(v))))) {
          using.add(segment.key);
          grew = true;
        }
      }
    }
    const flags = await this.repo.listFlags(m, false);
    return guarded
      .filter((env) =>
        flags.some((flag) =>
          flag.environments[env.key]?.rules.some((rule) =>
            rule.conditions.some((c) => c.operator === 'in_segment' && c.values.some((v) => using.has(String(v)))),
          ),
        ),
      )
      .map((env) => env.key);
  }

  private requireComment(envs: EnvironmentView[], touched: string[], ctx: WriteContext): void {
    if (ctx.comment) return;
    const needing = envs.filter((env) => env.requiresComment && touched.includes(env.key)).map((env) => env.name);
    if (needing.length)
      throw new ValidationFailedError(
        [{ path: 'comment', problem: `is required for changes to ${needing.join(', ')}` }],
        `changes to ${needing.join(', ')} need a comment: send X-Switchyard-Comment`,
      );
  }

  private problems(key: string, type: FlagType, variants: Record<string, unknown>, config: StoredConfig, segments: Set<string>, prefix: string): ErrorDetail[] {
    return validateFlagConfig({ key, type, variants }, { ...config, version: 0 }, (segment) => segments.has(segment)).map((p) => ({
      // A variant's value belongs to the flag, not to one environment: report it where it was sent.
      path: (/^variants\b/.test(p.path) ? p.path : `${prefix}${p.path}`).replace(/\.$/, '') || 'variants',
      problem: p.problem,
    }));
  }

  /**
   * Refuses prerequisites that name a missing or archived flag or a variant it lacks (400, naming the
   * field), or that would close a cycle or exceed the depth limit in their environment (409 PREREQUISITE_CYCLE).
   */
  private async checkPrerequisites(
    m: EntityManager,
    key: string,
    configs: Array<{ environment: string; config: StoredConfig; prefix: string }>,
  ): Promise<void> {
    if (!configs.some((c) => c.config.prerequisites?.length)) return;
    const flags = new Map((await this.repo.listFlags(m, true)).map((flag) => [flag.key, flag]));
    const problems = configs.flatMap((c) => prerequisiteReferenceProblems(c.config.prerequisites, flags, c.prefix));
    if (problems.length) throw new ValidationFailedError(problems);
    for (const c of configs) assertPrerequisiteGraph(key, c.environment, c.config, flags, `${c.prefix}prerequisites`);
  }

  private async validateSegmentOrThrow(m: EntityManager, segment: { key: string; conditions: SegmentView['conditions'] }): Promise<void> {
    const all = await this.repo.segments(m);
    const table = Object.fromEntries(all.map((s) => [s.key, { key: s.key, conditions: s.conditions }]));
    table[segment.key] = segment;
    const problems = validateSegment(segment, table);
    if (problems.length) throw new ValidationFailedError(problems.map((p) => ({ path: p.path || 'conditions', problem: p.problem })));
  }

  private async markStale(flags: FlagSummary[]): Promise<FlagSummary[]> {
    const lastEvaluated = await this.repo.lastEvaluated(this.db.manager);
    const threshold = Date.now() - this.config.staleAfterMs;
    return flags.map((flag) => {
      const last = lastEvaluated.get(flag.key);
      if ((last ? last.getTime() : Date.parse(flag.createdAt)) < threshold) {
        return { ...flag, stale: { reason: 'not-evaluated' as const, since: (last ?? new Date(flag.createdAt)).toISOString() } };
      }
      const configs = Object.values(flag.environments);
      const fullyRolledOut = configs.length > 0 && configs.every((c) => c.enabled && c.rules.length === 0 && 'variant' in c.defaultServe);
      const lastChange = Math.max(...configs.map((c) => Date.parse(c.updatedAt)));
      if (fullyRolledOut && lastChange < threshold)
        return { ...flag, stale: { reason: 'fully-rolled-out' as const, since: new Date(lastChange).toISOString() } };
      return flag;
    });
  }
}

/** A flag-level problem (a variant's value) is found once per environment; report it once. */
function distinct(problems: ErrorDetail[]): ErrorDetail[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const id = `${p.path}\n${p.problem}`;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

function staleVersion(what: string, key: string, current: number, sent: number): ConflictError {
  return new ConflictError(`${what} "${key}" is at version ${current}, not ${sent}; reload and reapply your change`, { currentVersion: current }, [
    { path: 'If-Match', problem: `is ${sent} but the current version is ${current}` },
  ]);
}

/**
 * The audit sentence that says why a write to an approval environment went through: the approved
 * request, or the kill switch. (A release's steps say so in their comment already.)
 */
function withApproval(summary: string[], meta: Record<string, unknown>): string[] {
  const approval = meta.approval as { changeRequest?: string; approvedBy?: string; killSwitch?: boolean } | undefined;
  if (approval?.changeRequest) return [...summary, `Approved by ${approval.approvedBy} (change request ${approval.changeRequest})`];
  if (approval?.killSwitch) return [...summary, 'Kill switch: turned off without approval'];
  return summary;
}

/** Turning a flag off and nothing else: what an environment may let skip approval in an emergency. */
function isKillSwitch(current: StoredConfig, next: StoredConfig): boolean {
  return current.enabled && !next.enabled && JSON.stringify({ ...next, enabled: true }) === JSON.stringify(current);
}

export function defaultConfig(type: FlagType, variants: Record<string, unknown>): StoredConfig {
  const names = Object.keys(variants);
  if (type === 'boolean' && 'on' in variants && 'off' in variants) return { enabled: false, offVariant: 'off', rules: [], defaultServe: { variant: 'on' } };
  return { enabled: false, offVariant: names[0], rules: [], defaultServe: { variant: names[0] } };
}

function stored(config: StoredConfig): StoredConfig {
  return {
    enabled: config.enabled,
    offVariant: config.offVariant,
    rules: config.rules,
    defaultServe: config.defaultServe,
    ...(config.prerequisites?.length ? { prerequisites: config.prerequisites } : {}),
  };
}

/**
 * The descriptions a flag keeps: those given (each must name a variant; an empty text removes it),
 * else the current ones for variants that still exist.
 */
function describedVariants(
  variants: Record<string, unknown>,
  given: Record<string, string> | undefined,
  current: Record<string, string> = {},
): Record<string, string> {
  if (given) {
    const unknown = Object.keys(given).filter((name) => !(name in variants));
    if (unknown.length)
      throw new ValidationFailedError(unknown.map((name) => ({ path: `variantDescriptions.${name}`, problem: 'is not a variant of this flag' })));
  }
  const out: Record<string, string> = {};
  for (const [name, text] of Object.entries(given ?? current)) if (name in variants && text.trim() !== '') out[name] = text.trim();
  return out;
}

function definitionOf(flag: FlagView): Omit<FlagView, 'environments'> {
  const { environments: _environments, ...definition } = flag;
  return definition;
}

/**
 * Merges a patch into a config. Rules without an id get one; a rollout keeps its salt across
 * edits (matched by rule id) so users stay in their bucket when percentages change.
 */
export function applyPatch(base: StoredConfig, patch: EnvironmentConfigPatch, previous: StoredConfig | undefined): StoredConfig {
  const previousRules = new Map((previous?.rules ?? []).map((rule) => [rule.id, rule]));
  const rules: Rule[] | undefined = patch.rules?.map((rule) => {
    const id = rule.id ?? newId();
    return {
      id,
      ...(rule.description ? { description: rule.description } : {}),
      conditions: rule.conditions as Rule['conditions'],
      serve: withSalt(rule.serve, previousRules.get(id)?.serve),
    };
  });
  const prerequisites = patch.prerequisites?.map((p) => ({ flag: p.flag, variants: p.variants })) ?? base.prerequisites;
  return {
    enabled: patch.enabled ?? base.enabled,
    offVariant: patch.offVariant ?? base.offVariant,
    rules: rules ?? base.rules,
    defaultServe: patch.defaultServe ? withSalt(patch.defaultServe, previous?.defaultServe) : base.defaultServe,
    ...(prerequisites?.length ? { prerequisites } : {}),
  };
}

function withSalt(
  serve: { variant: string } | { rollout: Array<{ variant: string; weight: number }>; bucketBy?: string; salt?: string },
  previous: Serve | undefined,
): Serve {
  if (!('rollout' in serve)) return { variant: serve.variant };
  const salt = serve.salt ?? (previous && 'rollout' in previous ? previous.salt : undefined) ?? newId();
  return { rollout: serve.rollout, ...(serve.bucketBy ? { bucketBy: serve.bucketBy } : {}), salt };
}
