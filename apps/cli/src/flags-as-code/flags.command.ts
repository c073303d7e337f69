import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { documentsOf, isObject, renderFiles, type JsonObject } from './flag-documents';
import { describeServerError, FlagsAdminClient } from './flags-admin.client';
import { FlagsDirectoryError, readFlagsDirectory, type DesiredState } from './flags-directory';
import { describePlan, planChanges, type Plan, type ServerState } from './flags-plan';

export const FLAGS_USAGE = `switchyard flags export --dir DIR [--server URL --token T]
switchyard flags apply --dir DIR [--dry-run | --check] [--prune] [--confirm ENV]… [--comment TEXT] [--server URL --token T]
  Flags as code. export writes DIR/environments.yaml, DIR/segments/<key>.yaml and DIR/flags/<key>.yaml
  (definition and targeting per environment; rule ids and rollout salts kept, so users stay in their
  buckets on another installation; archived flags left out); the same server state gives the same bytes.
  apply checks the files (file:line for every problem; nothing is sent when one is wrong), prints the
  plan (create/update per flag, environment and segment) and applies it through the admin API, so
  audit, confirmations and change requests apply. What the server has and DIR lacks is listed as
  "not in git"; --prune archives such flags and deletes such segments. --dry-run only prints the plan;
  --check prints it and exits 1 when the server and DIR differ (for CI). --confirm ENV confirms changes
  to an environment that requires it (X-Switchyard-Confirm); --comment says why (X-Switchyard-Comment).
  A write that needs approval is reported as "pending approval: <request id>".`;

/**
 * What the command touches outside itself: the CLI's CliIo fits. Declared here, with the exit codes
 * and errors below, so this folder imports nothing from the CLI's root (which imports it).
 */
export interface FlagsIo {
  env: Record<string, string | undefined>;
  cwd: string;
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
}

const EXIT_OK = 0;
/** The server refused or could not be reached, or --check found a difference. */
const EXIT_FAILED = 1;
/** Bad usage or invalid files: nothing was sent. */
const EXIT_USAGE = 2;

/** Exit 2 with the message; `preformatted` lines (file:line: …) are printed as they are. */
class UsageError extends Error {
  constructor(
    message: string,
    readonly preformatted = false,
  ) {
    super(message);
  }
}

/** Exit 1 with the message. */
class CommandError extends Error {}

const SERVER_OPTIONS = { server: { type: 'string' }, token: { type: 'string' } } as const;

function parseCommandArgs<T extends NonNullable<ParseArgsConfig['options']>>(command: string, args: string[], options: T) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    const text = typeof (error as { message?: unknown }).message === 'string' ? (error as { message: string }).message : String(error);
    throw new UsageError(`${command}: ${text.replace(/\. To specify a positional argument.*$/s, '')}`);
  }
}

export async function flagsCommand(args: string[], io: FlagsIo): Promise<number> {
  const [sub, ...rest] = args;
  try {
    if (sub === 'export') return await exportCommand(rest, io);
    if (sub === 'apply') return await applyCommand(rest, io);
    throw new UsageError(sub ? `flags: unknown subcommand "${sub}" (export or apply)` : 'flags: name a subcommand: export or apply');
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(error.preformatted ? `${error.message}\n` : `switchyard: ${error.message}\n`);
      return EXIT_USAGE;
    }
    if (error instanceof CommandError) {
      io.stderr.write(`switchyard: ${error.message}\n`);
      return EXIT_FAILED;
    }
    throw error;
  }
}

function clientFrom(values: { server?: string; token?: string }, io: FlagsIo): FlagsAdminClient {
  const url = values.server ?? (io.env.SWITCHYARD_URL || undefined);
  const token = values.token ?? (io.env.SWITCHYARD_TOKEN || undefined);
  if (!url) throw new UsageError('no server: pass --server URL or set SWITCHYARD_URL');
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('protocol');
  } catch {
    throw new UsageError(`--server must be an http:// or https:// URL (got "${url}")`);
  }
  return new FlagsAdminClient(url, token);
}

async function readServer(client: FlagsAdminClient, withArchived: boolean): Promise<ServerState> {
  try {
    const [environments, segments, flags, archived] = await Promise.all([
      client.list('/api/v1/environments'),
      client.list('/api/v1/segments'),
      client.list('/api/v1/flags'),
      withArchived ? client.list('/api/v1/flags?archived=true') : Promise.resolve([]),
    ]);
    return { environments, segments, flags: [...flags, ...archived.filter((a) => !flags.some((f) => f.key === a.key))] };
  } catch (error) {
    throw new CommandError(`could not read the server's flags: ${describeServerError(error, client.serverUrl)}`);
  }
}

async function exportCommand(args: string[], io: FlagsIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('flags export', args, { ...SERVER_OPTIONS, dir: { type: 'string' } });
  if (positionals.length) throw new UsageError(`flags export: unexpected argument "${positionals[0]}"`);
  if (!values.dir) throw new UsageError('flags export: pass --dir DIR (the directory to write)');
  const client = clientFrom(values, io);
  const server = await readServer(client, false);
  const documents = documentsOf(server);
  const files = renderFiles(documents);
  const dir = resolve(io.cwd, values.dir);
  for (const sub of ['flags', 'segments']) {
    mkdirSync(join(dir, sub), { recursive: true });
    // The directory mirrors the server: a flag or segment gone from it goes from the files too.
    for (const name of readdirSync(join(dir, sub))) {
      if (/\.ya?ml$/.test(name) && !files.has(`${sub}/${name}`)) rmSync(join(dir, sub, name));
    }
  }
  if (existsSync(join(dir, 'environments.yml'))) rmSync(join(dir, 'environments.yml'));
  for (const [path, text] of files) writeFileSync(join(dir, path), text);
  io.stdout.write(
    `exported ${documents.flags.length} flag${documents.flags.length === 1 ? '' : 's'}, ${documents.segments.length} segment${documents.segments.length === 1 ? '' : 's'} and ${documents.environments.length} environment${documents.environments.length === 1 ? '' : 's'} to ${values.dir}\n`,
  );
  return EXIT_OK;
}

async function applyCommand(args: string[], io: FlagsIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('flags apply', args, {
    ...SERVER_OPTIONS,
    dir: { type: 'string' },
    'dry-run': { type: 'boolean' },
    check: { type: 'boolean' },
    prune: { type: 'boolean' },
    confirm: { type: 'string', multiple: true },
    comment: { type: 'string' },
  });
  if (positionals.length) throw new UsageError(`flags apply: unexpected argument "${positionals[0]}"`);
  if (!values.dir) throw new UsageError('flags apply: pass --dir DIR (the directory to apply)');
  if (values['dry-run'] && values.check) throw new UsageError('flags apply: --dry-run and --check do not go together (--check also only reads)');
  const client = clientFrom(values, io);

  let desired: DesiredState;
  try {
    desired = readFlagsDirectory(resolve(io.cwd, values.dir));
  } catch (error) {
    if (!(error instanceof FlagsDirectoryError)) throw error;
    const count = error.problems.length;
    throw new UsageError(`${error.message}\nswitchyard: ${values.dir} is invalid (${count} problem${count === 1 ? '' : 's'}); nothing was applied`, true);
  }

  const server = await readServer(client, true);
  const plan = planChanges(desired, server, { prune: values.prune ?? false });
  io.stdout.write(`plan for ${client.serverUrl} from ${values.dir}:\n${describePlan(plan)}`);
  if (plan.errors.length) throw new CommandError(`${plan.errors.join('\n')}\nnothing was applied`);

  const differs = plan.steps.length > 0 || plan.notInGit.length > 0;
  if (values.check) {
    if (differs) io.stderr.write(`switchyard: the server differs from ${values.dir} (see the plan above)\n`);
    return differs ? EXIT_FAILED : EXIT_OK;
  }
  if (values['dry-run'] || plan.steps.length === 0) return EXIT_OK;

  const confirmed = (values.confirm ?? [])
    .flatMap((c) => c.split(','))
    .map((c) => c.trim())
    .filter(Boolean);
  checkGuards(plan, server, confirmed, values.comment);
  return executePlan(plan, server, client, io, {
    ...(confirmed.length ? { 'x-switchyard-confirm': confirmed.join(',') } : {}),
    ...(values.comment ? { 'x-switchyard-comment': encodeURIComponent(values.comment) } : {}),
  });
}

/**
 * Refuses before the first write what the server would refuse midway: an environment that requires
 * confirmation and was not confirmed, or one that requires a comment when none was given. Environments
 * that hold writes for approval instead answer 202 and need neither here.
 */
function checkGuards(plan: Plan, server: ServerState, confirmed: string[], comment: string | undefined): void {
  const touched = new Set(plan.steps.flatMap((step) => step.environments));
  const envs = server.environments.filter((env) => touched.has(String(env.key)));
  const approval = (env: JsonObject) => env.requireApproval === true || env.requiresApproval === true;
  const unconfirmed = envs
    .filter((env) => env.requiresConfirmation === true && !approval(env) && !confirmed.includes(String(env.key)))
    .map((env) => String(env.key));
  if (unconfirmed.length)
    throw new CommandError(
      `the plan changes ${unconfirmed.join(', ')}, which require${unconfirmed.length === 1 ? 's' : ''} confirmation: pass ${unconfirmed.map((env) => `--confirm ${env}`).join(' ')}; nothing was applied`,
    );
  const uncommented = comment ? [] : envs.filter((env) => env.requiresComment === true).map((env) => String(env.key));
  if (uncommented.length)
    throw new CommandError(`the plan changes ${uncommented.join(', ')}, which require a comment: pass --comment TEXT; nothing was applied`);
}

/** The id of a change request in a 202 answer, wherever the server puts it. */
function pendingRequestId(body: unknown): string {
  if (!isObject(body)) return '(no id in the answer)';
  for (const candidate of [body, body.changeRequest, body.request]) {
    if (isObject(candidate) && (typeof candidate.id === 'string' || typeof candidate.id === 'number')) return String(candidate.id);
  }
  return typeof body.requestId === 'string' ? body.requestId : '(no id in the answer)';
}

async function executePlan(plan: Plan, server: ServerState, client: FlagsAdminClient, io: FlagsIo, headers: Record<string, string>): Promise<number> {
  const flagVersions = new Map(server.flags.map((flag) => [String(flag.key), Number(flag.version)]));
  let applied = 0;
  let pending = 0;
  for (const step of plan.steps) {
    const { request } = step;
    const ifMatch = request.ifMatch ? ('flag' in request.ifMatch ? flagVersions.get(request.ifMatch.flag) : request.ifMatch.version) : undefined;
    try {
      const answer = await client.write(request.method, request.path, request.body, {
        ...headers,
        ...(ifMatch === undefined || Number.isNaN(ifMatch) ? {} : { 'if-match': `"${ifMatch}"` }),
      });
      if (answer.status === 202) {
        pending += 1;
        io.stdout.write(`pending approval: ${pendingRequestId(answer.body)} (${step.action} ${step.target})\n`);
        continue;
      }
      applied += 1;
      const flagKey = step.target.startsWith('flag ') ? step.target.split(' ')[1] : undefined;
      if (flagKey && answer.version !== undefined) flagVersions.set(flagKey, answer.version);
      // Deleting a flag archives it (its history stays); a segment is deleted.
      const done = step.action === 'create' ? 'created' : step.action === 'update' ? 'updated' : flagKey ? 'archived' : 'deleted';
      io.stdout.write(`${done} ${step.target}\n`);
    } catch (error) {
      const done = `${applied} of ${plan.steps.length} change${plan.steps.length === 1 ? '' : 's'} applied before it`;
      throw new CommandError(`${step.action} ${step.target} failed (${done}): ${describeServerError(error, client.serverUrl)}`);
    }
  }
  io.stdout.write(`applied ${applied} change${applied === 1 ? '' : 's'}${pending ? `; ${pending} pending approval` : ''}\n`);
  return EXIT_OK;
}
