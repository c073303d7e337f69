import {
  BUILDER_NAMES,
  BuilderUnavailableError,
  loadManifests,
  ManifestError,
  PipelineFileError,
  RegistryCredentialsError,
  ReleaseRunner,
  computeTag,
  loadPipelineFile,
  registryCredentialsFrom,
  selectBuilder,
  type BuilderName,
  type PipelineFile,
  type Release,
  type ReleaseReporter,
  type ManifestDocument,
} from '@switchyard/deploy';
import { resolve } from 'node:path';
import { parseCommandArgs, SERVER_OPTIONS, serverFrom } from '../cli-arguments';
import { EXIT_FAILED, EXIT_OK, UsageError, type CliIo } from '../cli-io';
import { invalidPipeline, serverError } from '../command-errors';
import { StageConsole } from '../console/stage-console';
import { detectGitContext } from '../git-context';
import { ServerRejectedError, type DeployApiClient } from '../deploy-api.client';

export const RELEASE_USAGE = `switchyard release [--dir DIR | --file FILE] [--server URL --token T] [--builder buildah|docker] [--no-push]
                   [--tag TAG] [--git-sha SHA] [--branch B] [--build-number N] [--build-arg NAME=VALUE]…
                   [--storage-driver DRIVER] [--isolation chroot|oci|rootless] [--root DIR] [--runroot DIR] [--heartbeat-ms N]
                   [--no-rollout] [--supersede]
  Builds, tests and publishes the service described by switchyard.yml, recording each stage on the server;
  then, when the file has a deploy section, uploads its manifests and starts the rollout (--supersede aborts
  a rollout of the same service that holds an environment instead of failing with 409).`;

const OPTIONS = {
  ...SERVER_OPTIONS,
  dir: { type: 'string' },
  file: { type: 'string' },
  builder: { type: 'string' },
  'no-push': { type: 'boolean' },
  tag: { type: 'string' },
  'git-sha': { type: 'string' },
  branch: { type: 'string' },
  'build-number': { type: 'string' },
  'build-arg': { type: 'string', multiple: true },
  'storage-driver': { type: 'string' },
  isolation: { type: 'string' },
  root: { type: 'string' },
  runroot: { type: 'string' },
  'heartbeat-ms': { type: 'string' },
  'no-rollout': { type: 'boolean' },
  supersede: { type: 'boolean' },
} as const;

export async function releaseCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('release', args, OPTIONS);
  if (positionals.length) throw new UsageError(`release: unexpected argument "${positionals[0]}"`);

  const pipeline = loadPipeline(values.file ?? values.dir ?? '.', io);
  const preferred = values.builder;
  if (preferred !== undefined && !(BUILDER_NAMES as readonly string[]).includes(preferred))
    throw new UsageError(`--builder must be buildah or docker (got "${preferred}")`);
  const isolation = values.isolation;
  if (isolation !== undefined && !['chroot', 'oci', 'rootless'].includes(isolation))
    throw new UsageError(`--isolation must be chroot, oci or rootless (got "${isolation}")`);
  const buildArgs = parseBuildArgs(values['build-arg'] ?? []);
  const heartbeatMs = values['heartbeat-ms'] === undefined ? undefined : Number(values['heartbeat-ms']);
  if (heartbeatMs !== undefined && !(Number.isInteger(heartbeatMs) && heartbeatMs >= 50)) throw new UsageError('--heartbeat-ms must be an integer ≥ 50');

  const manifests = readManifests(pipeline);

  const git = await detectGitContext(io.env, pipeline.dir);
  const context = {
    gitSha: values['git-sha'] ?? git.gitSha,
    branch: values.branch ?? git.branch,
    buildNumber: values['build-number'] ?? git.buildNumber,
  };
  if (context.gitSha !== undefined && !/^[0-9a-f]{7,64}$/.test(context.gitSha))
    throw new UsageError(`--git-sha must be a hexadecimal commit id (got "${context.gitSha}")`);
  const tag = values.tag ?? tagFor(pipeline, context);
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(tag)) throw new UsageError(`--tag must be a valid image tag (got "${tag}")`);

  let credentials;
  try {
    credentials = registryCredentialsFrom(io.env);
  } catch (error) {
    if (error instanceof RegistryCredentialsError) throw new UsageError(error.message);
    throw error;
  }
  let builder;
  try {
    builder = await selectBuilder({
      preferred: preferred as BuilderName | undefined,
      env: io.env,
      buildah: {
        storageDriver: values['storage-driver'],
        isolation: isolation as 'chroot' | 'oci' | 'rootless' | undefined,
        root: values.root,
        runroot: values.runroot,
      },
    });
  } catch (error) {
    if (error instanceof BuilderUnavailableError) throw new UsageError(error.message);
    throw error;
  }

  const client = serverFrom(values, io, false);
  const out = new StageConsole(io);
  const { spec } = pipeline;
  const reference = `${spec.publish.repository}:${tag}`;
  out.info(`switchyard release: ${spec.service} ${reference} (builder ${builder.name}${values['no-push'] ? ', no push' : ''})`);

  let release: Release | undefined;
  if (client) {
    try {
      release = await client.createRelease({
        service: spec.service,
        version: tag,
        gitSha: context.gitSha,
        branch: context.branch,
        buildNumber: context.buildNumber,
        pipeline: spec,
        ...(manifests.length ? { manifests } : {}),
      });
    } catch (error) {
      throw serverError(error, client, 'could not open the release');
    }
    out.info(`release ${release.id} → ${client.serverUrl}/api/v1/releases/${release.id}`);
  } else {
    out.info('no --server or SWITCHYARD_URL: running without recording the release');
  }

  const reporter: ReleaseReporter = {
    report: async (stage, report) => {
      if (!client || !release) return;
      await client.reportStage(release.id, stage, report);
    },
  };
  const runner = new ReleaseRunner(builder, reporter, out);
  const result = await runner.run(pipeline, { tag, push: !values['no-push'], credentials, buildArgs, env: io.env, heartbeatMs }).finally(() => out.close());

  if (result.status === 'succeeded') {
    const image = result.pushed ? `${result.pushed.reference}@${result.pushed.digest}` : `${reference} (${result.image?.imageId ?? 'built'}, not pushed)`;
    out.info(`release succeeded: ${image}`);
    if (client && release && spec.deploy && result.pushed && !values['no-rollout']) return startRollout(client, release, Boolean(values.supersede), io);
    return EXIT_OK;
  }
  if (result.reporterLost && client) {
    io.stderr.write(
      `switchyard: release stopped at ${result.failedStage}: the server did not accept the stage report: ${result.error}\n` +
        `switchyard: the server marks release ${release?.id} abandoned once it has heard nothing for RELEASE_ABANDON_AFTER\n`,
    );
    return EXIT_FAILED;
  }
  io.stderr.write(`switchyard: release failed at ${result.failedStage}: ${result.error}\n`);
  return EXIT_FAILED;
}

/** After publish the server takes the release through its environments; this only starts it and says where to follow. */
async function startRollout(client: DeployApiClient, release: Release, supersede: boolean, io: CliIo): Promise<number> {
  try {
    const rollout = await client.startRollout(release.id, { supersede });
    const steps = rollout.steps.map((s) => `${s.kind} ${s.environment}`).join(' → ');
    io.stdout.write(`rollout ${rollout.id} started: ${steps}\nfollow it: switchyard rollout ${release.id}\n`);
    return EXIT_OK;
  } catch (error) {
    // A server without a cluster (a laptop, CI's own test server) records releases but deploys nothing: not a failure of this release.
    if (error instanceof ServerRejectedError && error.status === 503) {
      io.stdout.write(`rollout not started: ${error.message}\n`);
      return EXIT_OK;
    }
    const failure = serverError(error, client, 'the release was published, but its rollout did not start');
    io.stderr.write(
      `switchyard: ${failure.message}${error instanceof ServerRejectedError && error.status === 409 && error.code === 'CONFLICT' ? ' (pass --supersede to abort the other rollout)' : ''}\n`,
    );
    return EXIT_FAILED;
  }
}

function readManifests(pipeline: PipelineFile): ManifestDocument[] {
  try {
    return loadManifests(pipeline.dir, pipeline.spec);
  } catch (error) {
    if (error instanceof ManifestError)
      throw new UsageError(
        `${error.problems.map((p) => `${p.path}: ${p.problem}`).join('\n')}\nswitchyard: the deploy manifests are invalid; nothing was run`,
        true,
      );
    throw error;
  }
}

function loadPipeline(target: string, io: CliIo): PipelineFile {
  try {
    return loadPipelineFile(resolve(io.cwd, target));
  } catch (error) {
    if (error instanceof PipelineFileError) throw invalidPipeline(error);
    throw error;
  }
}

function tagFor(pipeline: PipelineFile, context: { gitSha?: string; branch?: string; buildNumber?: string }): string {
  const { tag, missing } = computeTag(pipeline.spec.publish.tag, context);
  if (tag) return tag;
  const how: Record<string, string> = {
    branch: '--branch (or BRANCH_NAME, GITHUB_REF_NAME)',
    build: '--build-number (or BUILD_NUMBER, GITHUB_RUN_NUMBER)',
    sha: '--git-sha (or GIT_COMMIT, GITHUB_SHA, a git checkout)',
    shortSha: '--git-sha (or GIT_COMMIT, GITHUB_SHA, a git checkout)',
  };
  throw new UsageError(
    `cannot compute the image tag: ${missing.map((name) => `{${name}} is unknown — pass ${how[name] ?? '--tag'}`).join('; ')}; or pass --tag`,
  );
}

function parseBuildArgs(pairs: string[]): Record<string, string> {
  const args: Record<string, string> = {};
  for (const pair of pairs) {
    const match = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(pair);
    if (!match) throw new UsageError(`--build-arg must be NAME=VALUE (got "${pair}")`);
    args[match[1]] = match[2];
  }
  return args;
}
