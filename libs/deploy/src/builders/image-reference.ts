/** The registry host of a repository (`127.0.0.1:5000/team/app` → `127.0.0.1:5000`), Docker's rules. */
export function registryHost(repository: string): string {
  const first = repository.split('/')[0];
  const isHost = repository.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  return isHost ? first : 'docker.io';
}

/** The repository without its registry host (`team/app`), as in `/v2/<name>/manifests/<tag>`. */
export function repositoryPath(repository: string): string {
  const host = registryHost(repository);
  return repository.startsWith(`${host}/`) ? repository.slice(host.length + 1) : repository;
}

/**
 * Loopback registries speak plain HTTP (Docker treats 127.0.0.0/8 as insecure too); others only
 * when the pipeline file says `insecure: true`.
 */
export function isLoopbackRegistry(repository: string): boolean {
  const host = registryHost(repository).replace(/:\d+$/, '');
  return host === 'localhost' || host === '[::1]' || /^127(\.\d{1,3}){3}$/.test(host);
}

const TAG_INVALID = /[^A-Za-z0-9_.-]/g;

export interface TagInputs {
  branch?: string;
  buildNumber?: string;
  gitSha?: string;
}

/**
 * The image tag: the pipeline's template, else `<branch>.<build>` when CI gives both, else the
 * git sha. Characters a tag cannot hold become '-', as CI branch names often contain '/'.
 * Returns undefined when the template needs a value nobody provided.
 */
export function computeTag(template: string | undefined, inputs: TagInputs): { tag?: string; missing: string[] } {
  const values: Record<string, string | undefined> = {
    branch: inputs.branch,
    build: inputs.buildNumber,
    sha: inputs.gitSha,
    shortSha: inputs.gitSha?.slice(0, 12),
  };
  const chosen = template ?? (inputs.branch && inputs.buildNumber ? '{branch}.{build}' : '{sha}');
  const missing: string[] = [];
  const raw = chosen.replace(/\{(branch|build|sha|shortSha)\}/g, (_, name: string) => {
    const value = values[name];
    if (!value) missing.push(name);
    return value ?? '';
  });
  if (missing.length) return { missing };
  const tag = raw
    .replace(TAG_INVALID, '-')
    .replace(/^[.-]+/, '')
    .slice(0, 128);
  return tag ? { tag, missing } : { missing: ['tag'] };
}
