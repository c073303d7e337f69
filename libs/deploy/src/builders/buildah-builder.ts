import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
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

export interface BuildahOptions {
  /** `--storage-driver`: `vfs` where overlay cannot work (inside a container, no fuse-overlayfs). */
  storageDriver?: string;
  /** `--isolation`: `chroot` where the host cannot create namespaces for runc. */
  isolation?: 'chroot' | 'oci' | 'rootless';
  /** Separate storage (`--root`/`--runroot`), e.g. one per CI job or test. */
  root?: string;
  runroot?: string;
  env?: NodeJS.ProcessEnv;
}

export class BuildahBuilder implements ImageBuilder {
  readonly name = 'buildah' as const;

  constructor(private readonly options: BuildahOptions = {}) {}

  async build(request: BuildRequest): Promise<BuiltImage> {
    const work = mkdtempSync(join(tmpdir(), 'switchyard-build-'));
    try {
      const iidfile = join(work, 'iid');
      const args = ['bud', ...this.isolation(), '-f', request.containerfile, '-t', request.reference, '--iidfile', iidfile];
      for (const [name, value] of Object.entries(request.args)) args.push('--build-arg', `${name}=${value}`);
      if (request.target) args.push('--target', request.target);
      args.push(request.contextDir);
      await this.run(args, request.onLine, 'buildah bud');
      const imageId = readFileSync(iidfile, 'utf8').trim();
      const localDigest = await captureCommand('buildah', [...this.globals(), 'inspect', '--type', 'image', '--format', '{{.FromImageDigest}}', imageId], {
        env: this.options.env,
      });
      return { reference: request.reference, imageId: withAlgorithm(imageId), localDigest: localDigest || undefined };
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }

  async push(request: PushRequest): Promise<PushedImage> {
    const work = mkdtempSync(join(tmpdir(), 'switchyard-push-'));
    try {
      const digestfile = join(work, 'digest');
      const args = ['push', `--tls-verify=${request.insecure ? 'false' : 'true'}`, '--digestfile', digestfile];
      if (request.credentials) {
        // A private auth file rather than --creds: argv is visible to every user of the machine in ps.
        const authfile = join(work, 'auth.json');
        writeFileSync(authfile, registryAuthFile(request.destination, request.credentials), { mode: 0o600 });
        args.push('--authfile', authfile);
      }
      args.push(request.image, `docker://${request.destination}`);
      await this.run(args, request.onLine, 'buildah push');
      return { reference: request.destination, digest: readFileSync(digestfile, 'utf8').trim() };
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }

  async runInImage(request: RunInImageRequest): Promise<RunInImageResult> {
    const container = await captureCommand('buildah', [...this.globals(), 'from', '--pull-never', request.image], { env: this.options.env, timeoutMs: 60_000 });
    if (!container) throw new BuilderError(`buildah could not create a container from ${request.image}`);
    try {
      const result = await runCommand('buildah', [...this.globals(), 'run', ...this.isolation(), container, '--', 'sh', '-c', request.command], {
        env: this.options.env,
        onLine: request.onLine,
        timeoutMs: request.timeoutMs,
      });
      const workdir =
        (await captureCommand('buildah', [...this.globals(), 'inspect', '--format', '{{.OCIv1.Config.WorkingDir}}', container], { env: this.options.env })) ||
        '/';
      const mountpoint = await captureCommand('buildah', [...this.globals(), 'mount', container], { env: this.options.env });
      let results: string | undefined;
      if (mountpoint) {
        try {
          results = readFileSync(join(mountpoint, posix.resolve(workdir, request.resultsPath)), 'utf8');
        } catch {
          results = undefined;
        }
        await captureCommand('buildah', [...this.globals(), 'umount', container], { env: this.options.env });
      }
      return { exitCode: result.code, timedOut: result.timedOut, results };
    } finally {
      await captureCommand('buildah', [...this.globals(), 'rm', container], { env: this.options.env });
    }
  }

  private globals(): string[] {
    const args: string[] = [];
    if (this.options.root) args.push('--root', this.options.root);
    if (this.options.runroot) args.push('--runroot', this.options.runroot);
    if (this.options.storageDriver) args.push('--storage-driver', this.options.storageDriver);
    return args;
  }

  private isolation(): string[] {
    return this.options.isolation ? ['--isolation', this.options.isolation] : [];
  }

  private async run(args: string[], onLine: ((line: string) => void) | undefined, what: string): Promise<void> {
    const argv = [...this.globals(), ...args];
    onLine?.(displayCommand('buildah', argv));
    const result = await runCommand('buildah', argv, { env: this.options.env, onLine });
    if (result.code !== 0) throw new BuilderError(describeExit(what, result));
  }
}

function withAlgorithm(id: string): string {
  return id.startsWith('sha256:') ? id : `sha256:${id}`;
}
