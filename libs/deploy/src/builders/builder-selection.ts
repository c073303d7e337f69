import { existsSync } from 'node:fs';
import { captureCommand } from './command-runner';
import { BuildahBuilder, type BuildahOptions } from './buildah-builder';
import { DockerBuilder } from './docker-builder';
import type { BuilderName, ImageBuilder } from './image-builder';

export class BuilderUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BuilderUnavailableError';
  }
}

export interface BuilderSelection {
  /** Forced by the user (`--builder`); otherwise buildah when installed, else a reachable docker daemon. */
  preferred?: BuilderName;
  /** The environment builders run with (and whose settings they respect). */
  env: NodeJS.ProcessEnv;
  /** Explicit buildah settings; unset ones are chosen for the host. */
  buildah?: BuildahOptions;
}

export async function selectBuilder(selection: BuilderSelection): Promise<ImageBuilder> {
  const { env } = selection;
  const hasBuildah = await onPath('buildah', env);
  if (selection.preferred === 'buildah' || (!selection.preferred && hasBuildah)) {
    if (!hasBuildah) throw new BuilderUnavailableError('buildah is not installed (Debian: apt-get install buildah)');
    return new BuildahBuilder({ ...buildahDefaultsForHost(env), ...definedOnly(selection.buildah ?? {}), env });
  }
  const dockerReady =
    (await onPath('docker', env)) && (await captureCommand('docker', ['version', '--format', '{{.Server.Version}}'], { env, timeoutMs: 10_000 })) !== undefined;
  if (dockerReady) return new DockerBuilder({ env });
  throw new BuilderUnavailableError(
    selection.preferred === 'docker'
      ? 'docker is not usable: the docker CLI is missing or its daemon is not reachable'
      : 'no image builder found: install buildah (apt-get install buildah) or docker with a running daemon',
  );
}

/**
 * Inside a container overlayfs-on-overlayfs and new namespaces usually fail, so buildah gets
 * `--storage-driver vfs --isolation chroot` there — unless the user configured storage or
 * isolation themselves (STORAGE_DRIVER, CONTAINERS_STORAGE_CONF, BUILDAH_ISOLATION).
 */
export function buildahDefaultsForHost(env: NodeJS.ProcessEnv, inContainer = runningInContainer(env)): BuildahOptions {
  if (!inContainer) return {};
  return {
    storageDriver: env.STORAGE_DRIVER || env.CONTAINERS_STORAGE_CONF ? undefined : 'vfs',
    isolation: env.BUILDAH_ISOLATION ? undefined : 'chroot',
  };
}

function runningInContainer(env: NodeJS.ProcessEnv): boolean {
  return existsSync('/.dockerenv') || existsSync('/run/.containerenv') || Boolean(env.container);
}

async function onPath(binary: string, env: NodeJS.ProcessEnv): Promise<boolean> {
  return (await captureCommand('sh', ['-c', `command -v ${binary}`], { env })) !== undefined;
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
