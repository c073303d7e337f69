import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { randomBytes } from 'node:crypto';
import { captureCommand, runCommand } from './command-runner';
import {
  BuilderError,
  describeExit,
  displayCommand,
  type BuildRequest,
  type BuiltImage,
  type ImageBuilder,
  type PushedImage,
  type PushRequest,
  type RunInImageRequest,
  type RunInImageResult,
} from './image-builder';
import { registryAuthFile } from './registry-auth-file';

/**
 * Docker through its CLI. Insecure registries are the daemon's setting (`insecure-registries`;
 * loopback is insecure by default), so `insecure` cannot be chosen per push here.
 */
export class DockerBuilder implements ImageBuilder {
  readonly name = 'docker' as const;

  constructor(private readonly options: { env?: NodeJS.ProcessEnv } = {}) {}

  async build(request: BuildRequest): Promise<BuiltImage> {
    const work = mkdtempSync(join(tmpdir(), 'switchyard-build-'));
    try {
      const iidfile = join(work, 'iid');
      const args = ['build', '-f', request.containerfile, '-t', request.reference, '--iidfile', iidfile];
      for (const [name, value] of Object.entries(request.args)) args.push('--build-arg', `${name}=${value}`);
      if (request.target) args.push('--target', request.target);
      args.push(request.contextDir);
      await this.run(args, request.onLine, 'docker build');
      return { reference: request.reference, imageId: readFileSync(iidfile, 'utf8').trim() };
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }

  async push(request: PushRequest): Promise<PushedImage> {
    const work = mkdtempSync(join(tmpdir(), 'switchyard-push-'));
    try {
      const globals: string[] = [];
      if (request.credentials) {
        // A throw-away client config instead of `docker login`, which would persist the password.
        writeFileSync(join(work, 'config.json'), registryAuthFile(request.destination, request.credentials), { mode: 0o600 });
        globals.push('--config', work);
      }
      if (request.image !== request.destination) await this.run(['tag', request.image, request.destination], request.onLine, 'docker tag');
      let digest: string | undefined;
      await this.run(
        [...globals, 'push', request.destination],
        (line) => {
          // "main.7: digest: sha256:… size: 527" is the registry's answer to the manifest PUT.
          const match = /digest: (sha256:[0-9a-f]{64})/.exec(line);
          if (match) digest = match[1];
          request.onLine?.(line);
        },
        'docker push',
      );
      if (!digest) throw new BuilderError('docker push did not report the pushed digest');
      return { reference: request.destination, digest };
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }

  async runInImage(request: RunInImageRequest): Promise<RunInImageResult> {
    const name = `switchyard-test-${randomBytes(6).toString('hex')}`;
    const created = await captureCommand('docker', ['create', '--name', name, '--entrypoint', 'sh', request.image, '-c', request.command], {
      env: this.options.env,
      timeoutMs: 60_000,
    });
    if (!created) throw new BuilderError(`docker could not create a container from ${request.image}`);
    const work = mkdtempSync(join(tmpdir(), 'switchyard-results-'));
    try {
      const result = await runCommand('docker', ['start', '-a', name], { env: this.options.env, onLine: request.onLine, timeoutMs: request.timeoutMs });
      const workdir = (await captureCommand('docker', ['inspect', '--format', '{{.Config.WorkingDir}}', name], { env: this.options.env })) || '/';
      const copied = await captureCommand('docker', ['cp', `${name}:${posix.resolve(workdir, request.resultsPath)}`, join(work, 'results')], {
        env: this.options.env,
      });
      let results: string | undefined;
      if (copied !== undefined) {
        try {
          results = readFileSync(join(work, 'results'), 'utf8');
        } catch {
          results = undefined;
        }
      }
      return { exitCode: result.code, timedOut: result.timedOut, results };
    } finally {
      rmSync(work, { recursive: true, force: true });
      await captureCommand('docker', ['rm', '-f', name], { env: this.options.env });
    }
  }

  private async run(args: string[], onLine: ((line: string) => void) | undefined, what: string): Promise<void> {
    onLine?.(displayCommand('docker', args));
    const result = await runCommand('docker', args, { env: this.options.env, onLine });
    if (result.code !== 0) throw new BuilderError(describeExit(what, result));
  }
}
