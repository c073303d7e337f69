import type { ReleasePage } from '@switchyard/deploy';
import { parseCommandArgs, SERVER_OPTIONS, serverFrom } from '../cli-arguments';
import { EXIT_OK, UsageError, type CliIo } from '../cli-io';
import { serverError } from '../command-errors';

export const RELEASES_USAGE = `switchyard releases [--service S] [--status running|succeeded|failed|abandoned] [--branch B] [--limit N] [--cursor C] [--server URL --token T] [--json]
  Recent releases, newest first.`;

export async function releasesCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('releases', args, {
    ...SERVER_OPTIONS,
    service: { type: 'string' },
    status: { type: 'string' },
    branch: { type: 'string' },
    limit: { type: 'string' },
    cursor: { type: 'string' },
    json: { type: 'boolean' },
  });
  if (positionals.length) throw new UsageError(`releases: unexpected argument "${positionals[0]}"`);
  const limit = values.limit === undefined ? undefined : Number(values.limit);
  if (limit !== undefined && !(Number.isInteger(limit) && limit >= 1 && limit <= 100)) throw new UsageError('--limit must be an integer from 1 to 100');
  const client = serverFrom(values, io, true);
  if (!client) return EXIT_OK;
  let page: ReleasePage;
  try {
    page = await client.listReleases({ service: values.service, status: values.status, branch: values.branch, limit, cursor: values.cursor });
  } catch (error) {
    throw serverError(error, client, 'could not list releases');
  }
  if (values.json) {
    io.stdout.write(`${JSON.stringify(page, null, 2)}\n`);
    return EXIT_OK;
  }
  const rows = [
    ['RELEASE', 'SERVICE', 'VERSION', 'STATUS', 'GIT', 'CREATED'],
    ...page.items.map((r) => [
      r.id,
      r.service,
      r.version,
      r.failedStage ? `${r.status} at ${r.failedStage}` : r.status,
      r.gitSha?.slice(0, 12) ?? '',
      r.createdAt,
    ]),
  ];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  for (const row of rows)
    io.stdout.write(
      `${row
        .map((cell, i) => cell.padEnd(widths[i]))
        .join('  ')
        .trimEnd()}\n`,
    );
  if (page.items.length === 0) io.stdout.write('(no releases)\n');
  if (page.nextCursor) io.stdout.write(`more: switchyard releases${values.service ? ` --service ${values.service}` : ''} --cursor ${page.nextCursor}\n`);
  return EXIT_OK;
}
