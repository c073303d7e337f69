import type { Release } from '@switchyard/deploy';
import { parseCommandArgs, SERVER_OPTIONS, serverFrom } from '../cli-arguments';
import { EXIT_OK, UsageError, type CliIo } from '../cli-io';
import { seconds } from '../console/stage-console';
import { serverError } from '../command-errors';

export const STATUS_USAGE = `switchyard status RELEASE [--server URL --token T] [--json]
  One release: its stages with times and outcomes, test totals, image digest.`;

export async function statusCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('status', args, { ...SERVER_OPTIONS, json: { type: 'boolean' } });
  if (positionals.length !== 1) throw new UsageError('status: give exactly one release id');
  const client = serverFrom(values, io, true);
  if (!client) return EXIT_OK;
  let release: Release;
  try {
    release = await client.getRelease(positionals[0]);
  } catch (error) {
    throw serverError(error, client, `could not read release ${positionals[0]}`);
  }
  io.stdout.write(values.json ? `${JSON.stringify(release, null, 2)}\n` : describeRelease(release));
  return EXIT_OK;
}

export function describeRelease(release: Release): string {
  const lines = [
    `release ${release.id}  ${release.service} ${release.version}  ${release.status}${release.failedStage ? ` at ${release.failedStage}` : ''}`,
    `  ${[release.gitSha && `git ${release.gitSha.slice(0, 12)}`, release.branch && `branch ${release.branch}`, release.buildNumber && `build ${release.buildNumber}`, `by ${release.createdBy}`, `created ${release.createdAt}`].filter(Boolean).join('  ')}`,
  ];
  if (release.imageDigest) lines.push(`  image ${release.imageReference ?? ''}@${release.imageDigest}`);
  for (const stage of release.stages) {
    const time = stage.durationMs !== null ? seconds(stage.durationMs) : stage.startedAt ? 'running' : '';
    const summary = stage.testSummary;
    const tests = summary ? `${summary.tests} tests: ${summary.passed} passed, ${summary.failures + summary.errors} failed, ${summary.skipped} skipped` : '';
    const note = stage.error ?? tests ?? '';
    lines.push(`  ${stage.name.padEnd(8)} ${stage.status.padEnd(10)} ${time.padStart(7)}  ${note}`.trimEnd());
    for (const failed of summary?.failedCases ?? [])
      lines.push(`      ✗ ${failed.classname ? `${failed.classname} › ` : ''}${failed.name}${failed.message ? `: ${failed.message.split('\n')[0]}` : ''}`);
  }
  return `${lines.join('\n')}\n`;
}
