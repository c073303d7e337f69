import { Injectable } from '@nestjs/common';
import { isLoopbackRegistry, registryHost, repositoryPath } from '../builders/image-reference';

/** Every manifest type a push may produce, so the registry answers the stored one as it is. */
const MANIFEST_ACCEPT = [
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
].join(', ');

const TIMEOUT_MS = 10_000;

export type ManifestLookup = { found: true } | { found: false; problem: string };

/**
 * Asks the registry whether `repository@digest` exists (HEAD /v2/<name>/manifests/<digest>, the
 * OCI distribution API), anonymously or with the anonymous bearer token a `WWW-Authenticate:
 * Bearer` challenge offers. Loopback registries speak HTTP, every other one HTTPS.
 */
@Injectable()
export class ManifestResolver {
  async lookup(repository: string, digest: string): Promise<ManifestLookup> {
    const host = registryHost(repository);
    const base = `${isLoopbackRegistry(repository) ? 'http' : 'https'}://${host === 'docker.io' ? 'registry-1.docker.io' : host}`;
    const path = repositoryPath(repository);
    // Docker Hub's official images live under library/ (`busybox` is library/busybox).
    const name = host === 'docker.io' && !path.includes('/') ? `library/${path}` : path;
    const url = `${base}/v2/${name}/manifests/${digest}`;
    try {
      let res = await fetch(url, { method: 'HEAD', headers: { accept: MANIFEST_ACCEPT }, signal: AbortSignal.timeout(TIMEOUT_MS), redirect: 'manual' });
      if (res.status === 401) {
        const token = await bearerToken(res.headers.get('www-authenticate'), name);
        if (token) {
          res = await fetch(url, {
            method: 'HEAD',
            headers: { accept: MANIFEST_ACCEPT, authorization: `Bearer ${token}` },
            signal: AbortSignal.timeout(TIMEOUT_MS),
            redirect: 'manual',
          });
        }
      }
      if (res.ok) return { found: true };
      if (res.status === 404) return { found: false, problem: `${repository}@${digest} does not exist in its registry (HEAD ${url} answered 404)` };
      return { found: false, problem: `${host} answered ${res.status} for ${repository}@${digest}` };
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name;
      return { found: false, problem: `cannot reach the registry ${host} to resolve ${digest} (${cause})` };
    }
  }
}

/** The anonymous pull token of a `Bearer realm="…",service="…"` challenge (Docker Hub, GHCR for public images). */
async function bearerToken(challenge: string | null, name: string): Promise<string | undefined> {
  if (!challenge?.toLowerCase().startsWith('bearer ')) return undefined;
  const params = Object.fromEntries([...challenge.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1].toLowerCase(), m[2]]));
  if (!params.realm?.startsWith('https://')) return undefined;
  const url = new URL(params.realm);
  if (params.service) url.searchParams.set('service', params.service);
  url.searchParams.set('scope', `repository:${name}:pull`);
  const res = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS) });
  if (!res.ok) return undefined;
  const body = (await res.json()) as { token?: string; access_token?: string };
  return body.token ?? body.access_token;
}
