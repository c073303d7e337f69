import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AuditService } from '@switchyard/audit';
import { AppError, ConflictError, NotFoundError, ValidationFailedError } from '@switchyard/errors';
import { Database } from '@switchyard/persistence';
import type { EnvironmentConfigPatch } from './flag.schemas';
import { FourEyesError, isAuthor, type IdentitiesOf, type Reviewer } from './change-requests.service';
import { FlagsService, type WriteContext } from './flags.service';
import type { ScheduleState, ScheduleView } from './schedule.contract';
import { SchedulesRepository, type ScheduleRow } from './schedules.repository';

export interface ScheduleFilter {
  flag?: string;
  state?: ScheduleState;
}

export interface NewSchedule {
  environment: string;
  runAt: Date;
  change: EnvironmentConfigPatch;
}

/** What one firing came to; `lost`: another replica had taken the claim over (its lease ran out). */
export type FireOutcome = { fired: ScheduleView } | { failed: ScheduleView } | { lost: true } | { retry: unknown };

export class ScheduleClosedError extends AppError {
  constructor(schedule: Pick<ScheduleView, 'id' | 'state'>) {
    super(
      'SCHEDULE_CLOSED',
      `scheduled change ${schedule.id} is ${schedule.state}; nothing was changed`,
      409,
      [{ path: 'state', problem: `is ${schedule.state}` }],
      {
        state: schedule.state,
      },
    );
  }
}

/** Thrown inside the firing transaction when the claim is no longer ours: rolls the flag write back. */
class ClaimLostError extends Error {}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Fired later than this after its time, a schedule's audit says it was late. */
const ON_TIME_MS = 1000;

/**
 * Scheduled flag changes: a patch of one environment applied at a given time, once, whichever
 * replica gets there first. The patch is checked when the schedule is made (a dry run of the real
 * write) and applied with the same FlagsService write when it fires; the schedule is marked fired
 * in that write's transaction, so the flag changes exactly once or not at all. In an environment
 * that requires approval the schedule waits for another person, and fires as an approved change
 * only if the flag is still at the version that person reviewed.
 */
@Injectable()
export class SchedulesService {
  private readonly listeners = new Set<(schedule: ScheduleView) => void>();

  constructor(
    @Inject(Database) private readonly db: Pick<Database, 'manager' | 'transaction'>,
    @Inject(SchedulesRepository) private readonly schedules: SchedulesRepository,
    @Inject(FlagsService) private readonly flags: FlagsService,
    @Inject(AuditService) private readonly audit: Pick<AuditService, 'record'>,
  ) {}

  /** Calls `listener` when a schedule becomes due-able here (made or approved): the runner arms its timer. */
  onArmed(listener: (schedule: ScheduleView) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async create(key: string, input: NewSchedule, ctx: WriteContext, now = new Date()): Promise<ScheduleView> {
    if (!(input.runAt.getTime() > now.getTime()))
      throw new ValidationFailedError([{ path: 'runAt', problem: `must be in the future (it is ${input.runAt.toISOString()}, now is ${now.toISOString()})` }]);
    const environments = await this.flags.environments();
    const environment = environments.find((env) => env.key === input.environment);
    if (!environment)
      throw new ValidationFailedError([{ path: 'environment', problem: `is not an environment (known: ${environments.map((env) => env.key).join(', ')})` }]);
    const flag = await this.flags.getFlag(key);
    // The real write, rolled back: the patch must fit the flag now (variants, segments, prerequisites,
    // the confirm header and comment the environment asks for). It is checked again when it fires.
    try {
      await this.flags.patchEnvironment(key, input.environment, input.change, { ...ctx, ifMatch: undefined, dryRun: true });
    } catch (error) {
      if (error instanceof ValidationFailedError)
        throw new ValidationFailedError(error.details.map((d) => (d.path === 'comment' ? d : { ...d, path: d.path ? `change.${d.path}` : 'change' })));
      throw error;
    }
    const id = randomUUID();
    const state: ScheduleState = environment.requireApproval ? 'awaiting-approval' : 'pending';
    await this.db.transaction(async (m) => {
      await this.schedules.insert(m, {
        id,
        flagKey: key,
        environment: input.environment,
        patch: JSON.stringify(input.change),
        runAt: input.runAt.toISOString(),
        state,
        author: ctx.actor,
        authorPrincipal: ctx.principal ?? ctx.actor,
        comment: ctx.comment ?? null,
      });
      await this.record(m, toView(await this.row(m, id)), 'flag.schedule.created', ctx.actor, ctx.comment, { flagVersion: flag.version }, [
        `Change scheduled for ${input.runAt.toISOString()}: ${describePatch(input.change)}`,
        ...(state === 'awaiting-approval' ? [`${input.environment} requires approval: someone other than ${ctx.actor} must approve it before it runs`] : []),
      ]);
    });
    const created = await this.get(id);
    if (created.state === 'pending') this.arm(created);
    return created;
  }

  async list(filter: ScheduleFilter = {}): Promise<ScheduleView[]> {
    const rows = await this.schedules.list(filter.flag, filter.state);
    return rows.map(toView);
  }

  async get(id: string): Promise<ScheduleView> {
    return toView(await this.row(this.db.manager, id));
  }

  /** Cancels a schedule that has not fired yet (pending or awaiting approval); a final one is a 409. */
  async cancel(id: string, actor: string, comment?: string): Promise<ScheduleView> {
    const before = await this.get(id);
    await this.db.transaction(async (m) => {
      const closed = await this.schedules.cancel(m, id, actor);
      if (!closed) throw new ScheduleClosedError(toView(await this.row(m, id)));
      await this.record(m, before, 'flag.schedule.cancelled', actor, comment, {}, [
        `Scheduled change for ${before.runAt} cancelled by ${actor}${comment ? `: ${comment}` : ''}`,
      ]);
    });
    return this.get(id);
  }

  /**
   * Approves a schedule in an environment that requires approval (four-eyes: never its author, nor a
   * token the author made). It records the flag version reviewed: firing needs the flag still there.
   */
  async approve(id: string, reviewer: Reviewer, comment: string | undefined, identitiesOf: IdentitiesOf): Promise<ScheduleView> {
    const row = await this.row(this.db.manager, id);
    if (row.state !== 'awaiting-approval') throw new ScheduleClosedError(toView(row));
    if (await isAuthor(reviewer, row.author, row.author_principal, identitiesOf))
      throw new FourEyesError(`scheduled change ${id} was made by ${row.author}: someone else must approve it`);
    const flag = await this.flags.getFlag(row.flag_key);
    await this.db.transaction(async (m) => {
      const approved = await this.schedules.approve(m, id, reviewer.actor, flag.version);
      if (!approved) throw new ScheduleClosedError(toView(await this.row(m, id)));
      await this.record(m, toView(row), 'flag.schedule.approved', reviewer.actor, comment, { approvedVersion: flag.version }, [
        `Scheduled change approved by ${reviewer.actor} against version ${flag.version}${comment ? `: ${comment}` : ''}`,
      ]);
    });
    const approved = await this.get(id);
    this.arm(approved);
    return approved;
  }

  // ---- the runner's side ----------------------------------------------------------------------

  /**
   * Claims due schedules for `owner` under a lease: pending ones whose time has come, and firing ones
   * whose claimer stopped renewing (died mid-fire; its write rolled back with it). One conditional
   * UPDATE with SKIP LOCKED, so replicas polling together never claim the same row.
   */
  async claimDue(owner: string, leaseMs: number, now = new Date()): Promise<ScheduleView[]> {
    const rows = await this.schedules.claimDue(owner, leaseMs, now);
    return rows.map(toView);
  }

  /** When the next pending schedule is due, if any. */
  async nextRunAt(): Promise<Date | undefined> {
    const next = await this.schedules.nextRunAt();
    return next ? new Date(next) : undefined;
  }

  /**
   * Applies a claimed schedule: the patch through FlagsService (as an approved change where the
   * environment requires approval, pinned to the approved version), closing the schedule in the same
   * transaction. A refusal (the flag moved, the patch no longer fits) fails it with the reason,
   * audited; nothing is half-applied. Other errors (the database away) hand it back for a retry.
   */
  async fire(claim: ScheduleView, owner: string): Promise<FireOutcome> {
    const row = await this.row(this.db.manager, claim.id);
    if (row.state !== 'firing' || row.claimed_by !== owner) return { lost: true };
    const schedule = toView(row);
    const runAt = new Date(row.run_at);
    let firedAt = new Date();
    try {
      const environment = (await this.flags.environments()).find((env) => env.key === row.environment);
      if (environment?.requireApproval && !row.approved_by)
        return await this.fail(schedule, owner, `${row.environment} now requires approval and this schedule was never approved; nothing was applied`);
      const onApply = async (m: EntityManager, version: number) => {
        firedAt = new Date();
        const closed = await this.schedules.markFired(m, row.id, owner, firedAt, version);
        if (!closed) throw new ClaimLostError();
        const lateMs = Math.max(0, firedAt.getTime() - runAt.getTime());
        await this.record(m, schedule, 'flag.schedule.fired', row.author, row.comment ?? undefined, { appliedVersion: version, lateMs, firedBy: owner }, [
          lateMs > ON_TIME_MS
            ? `Scheduled change fired ${(lateMs / 1000).toFixed(1)} s late (due ${runAt.toISOString()}, no replica ran it on time)`
            : `Scheduled change fired on time (due ${runAt.toISOString()})`,
        ]);
      };
      const ctx: WriteContext = {
        actor: row.author,
        principal: row.author_principal,
        comment: row.comment ?? `scheduled change ${row.id}`,
        confirmed: [row.environment],
        ifMatch: row.approved_version ?? undefined,
        // Closes the schedule inside the write; where the environment requires approval, also says who approved it.
        changeRequest: { id: row.id, approvedBy: row.approved_by ?? row.author, onApply },
      };
      await this.flags.patchEnvironment(row.flag_key, row.environment, row.patch as EnvironmentConfigPatch, ctx);
      return { fired: await this.get(row.id) };
    } catch (error) {
      if (error instanceof ClaimLostError) return { lost: true };
      if (!(error instanceof AppError)) {
        await this.schedules.release(row.id, owner).catch(() => undefined);
        return { retry: error };
      }
      return this.fail(schedule, owner, reasonOf(error, row));
    }
  }

  // ---- internals ------------------------------------------------------------------------------

  private async fail(schedule: ScheduleView, owner: string, reason: string): Promise<FireOutcome> {
    const closed = await this.db.transaction(async (m) => {
      if (!(await this.schedules.markFailed(m, schedule.id, owner, reason))) return false;
      await this.record(m, schedule, 'flag.schedule.failed', schedule.author, undefined, { reason }, [`Scheduled change failed: ${reason}`]);
      return true;
    });
    return closed ? { failed: await this.get(schedule.id) } : { lost: true };
  }

  private arm(schedule: ScheduleView): void {
    for (const listener of this.listeners) {
      try {
        listener(schedule);
      } catch {
        // Arming a timer is an optimisation: the poll finds it anyway.
      }
    }
  }

  private async record(
    m: EntityManager,
    schedule: ScheduleView,
    action: string,
    actor: string,
    comment: string | undefined,
    meta: Record<string, unknown>,
    summary: string[],
  ): Promise<void> {
    await this.audit.record(m, {
      actor,
      action,
      target: `flag:${schedule.flag}`,
      environment: schedule.environment,
      after: schedule.change,
      meta: { schedule: schedule.id, runAt: schedule.runAt, author: schedule.author, ...meta },
      summary,
      comment,
    });
  }

  private async row(m: Pick<EntityManager, 'query'>, id: string): Promise<ScheduleRow> {
    if (!UUID.test(id)) throw new ValidationFailedError([{ path: 'id', problem: 'must be a scheduled change id (a UUID)' }]);
    const row = await this.schedules.byId(m, id);
    if (!row) throw new NotFoundError('scheduled change', id);
    return row;
  }
}

function reasonOf(error: AppError, row: ScheduleRow): string {
  const current = error instanceof ConflictError ? error.extra.currentVersion : undefined;
  if (typeof current === 'number' && row.approved_version !== null)
    return `flag "${row.flag_key}" moved to version ${current} since it was approved at version ${row.approved_version}; nothing was applied — schedule the change again`;
  const details = error.details.map((d) => `${d.path}: ${d.problem}`).join('; ');
  return `${error.message}${details && !error.message.includes(details) ? ` (${details})` : ''}; nothing was applied`;
}

function describePatch(patch: EnvironmentConfigPatch): string {
  const parts: string[] = [];
  if (patch.enabled !== undefined) parts.push(patch.enabled ? 'turn on' : 'turn off');
  if (patch.defaultServe !== undefined) parts.push(`serve ${JSON.stringify(patch.defaultServe)} by default`);
  if (patch.rules !== undefined) parts.push(`set ${patch.rules.length} rule(s)`);
  if (patch.offVariant !== undefined) parts.push(`off variant ${patch.offVariant}`);
  if (patch.prerequisites !== undefined) parts.push(`set ${patch.prerequisites.length} prerequisite(s)`);
  return parts.join(', ') || 'no change';
}

const iso = (value: Date | string | null) => (value === null ? null : new Date(value).toISOString());

function toView(row: ScheduleRow): ScheduleView {
  const firedAt = iso(row.fired_at);
  return {
    id: row.id,
    flag: row.flag_key,
    environment: row.environment,
    change: row.patch,
    runAt: iso(row.run_at)!,
    state: row.state,
    author: row.author,
    comment: row.comment,
    approvedBy: row.approved_by,
    approvedVersion: row.approved_version,
    firedAt,
    lateMs: firedAt ? Math.max(0, new Date(firedAt).getTime() - new Date(row.run_at).getTime()) : null,
    appliedVersion: row.applied_version,
    failure: row.failure,
    cancelledBy: row.cancelled_by,
    createdAt: iso(row.created_at)!,
    closedAt: iso(row.closed_at),
  };
}
