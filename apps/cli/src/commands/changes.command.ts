import type { Change, ChangesPage } from '@switchyard/audit';
import { parseCommandArgs, SERVER_OPTIONS, serverFrom } from '../cli-arguments';
import { EXIT_OK, UsageError, type CliIo } from '../cli-io';
import { serverError } from '../command-errors';

export const CHANGES_USAGE = `switchyard changes [--environment E] [--since 30m|2h|7d|ISO] [--service S] [--kind K] [--actor A] [--limit N] [--cursor C] [--server URL --token T] [--json]
  What changed, newest first: flag edits, rollout steps, approvals, verdicts, guardrail trips, rollbacks, mirror routes.`;

type Listed = Change & { actorName?: string | null };

/** "ada@example.com" for a person, "token ci", or the engine's own "system:rollout". */
function actorText(change: Listed): string {
  if (change.actorName) return change.actorName;
  if (change.actor.startsWith('user:')) return change.actor.slice('user:'.length);
  if (change.actor.startsWith('token:')) return `token ${change.actor.slice('token:'.length)}`;
  return change.actor;
}

/** One change per block: when, kind, where, who on the first line; its sentences, why and link below. */
export function describeChanges(page: ChangesPage): string {
  if (page.items.length === 0) return '(no changes)\n';
  const lines: string[] = [];
  for (const change of page.items as Listed[]) {
    const where = [change.service, change.environment].filter(Boolean).join('/') || '-';
    lines.push(`${change.at}  ${change.kind.padEnd(14)} ${where.padEnd(22)} ${actorText(change).padEnd(24)} ${change.target}`);
    for (const sentence of change.summary) lines.push(`    ${sentence}`);
    if (change.comment) lines.push(`    comment: ${change.comment}`);
    if (change.reason && !change.summary.some((sentence) => sentence.includes(change.reason as string))) lines.push(`    reason: ${change.reason}`);
    if (change.link) lines.push(`    ${change.link}`);
  }
  return `${lines.join('\n')}\n`;
}

export async function changesCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('changes', args, {
    ...SERVER_OPTIONS,
    environment: { type: 'string' },
    since: { type: 'string' },
    service: { type: 'string' },
    kind: { type: 'string' },
    actor: { type: 'string' },
    limit: { type: 'string' },
    cursor: { type: 'string' },
    json: { type: 'boolean' },
  });
  if (positionals.length) throw new UsageError(`changes: unexpected argument "${positionals[0]}"`);
  const limit = values.limit === undefined ? undefined : Number(values.limit);
  if (limit !== undefined && !(Number.isInteger(limit) && limit >= 1 && limit <= 200)) throw new UsageError('--limit must be an integer from 1 to 200');
  const client = serverFrom(values, io, true);
  if (!client) return EXIT_OK;
  const query = {
    environment: values.environment,
    since: values.since,
    service: values.service,
    kind: values.kind,
    actor: values.actor,
    limit,
    cursor: values.cursor,
  };
  let page: ChangesPage;
  try {
    // The server checks since/kind/actor and names the bad one (shown with serverError's details).
    page = await client.listChanges(query);
  } catch (error) {
    throw serverError(error, client, 'could not list changes');
  }
  if (values.json) {
    io.stdout.write(`${JSON.stringify(page, null, 2)}\n`);
    return EXIT_OK;
  }
  io.stdout.write(describeChanges(page));
  if (page.nextCursor) {
    const repeat = Object.entries({ ...query, limit: values.limit, cursor: undefined })
      .filter(([, value]) => value !== undefined)
      .map(([name, value]) => ` --${name} ${String(value)}`)
      .join('');
    io.stdout.write(`more: switchyard changes${repeat} --cursor ${page.nextCursor}\n`);
  }
  return EXIT_OK;
}
