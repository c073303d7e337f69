import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../support/free-port';
import { waitFor } from '../../support/test-server';

/** Every manifest type a push may produce, so the registry answers the stored one unconverted. */
export const MANIFEST_ACCEPT = [
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
].join(', ');

/** An image with no layers (a config and its manifest), built in memory: `digest` is its manifest's. */
export interface ScratchImage {
  config: Buffer;
  manifest: Buffer;
  digest: string;
}

const sha256 = (data: Buffer) => `sha256:${createHash('sha256').update(data).digest('hex')}`;

/** The same label always gives the same image, so its digest is known before any push. */
export function scratchImage(label: string): ScratchImage {
  const config = Buffer.from(
    JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Labels: { 'switchyard.test': label } }, rootfs: { type: 'layers', diff_ids: [] } }),
  );
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
      layers: [],
    }),
  );
  return { config, manifest, digest: sha256(manifest) };
}

/**
 * `ci` / `s3cret-registry-pass`, bcrypt-hashed once (htpasswd -B) so no hashing tool is needed
 * at test time; docker-registry's htpasswd auth accepts only bcrypt.
 */
export const REGISTRY_USER = { username: 'ci', password: 's3cret-registry-pass', htpasswd: 'ci:$2a$05$switchyardtestsaltsale0nj4EWW.U/kQA2h4J6rm6N6JOUKUIdK' };

/** A real `docker-registry` (Debian's distribution/registry) on a free loopback port, storage in a temp dir. */
export class PrivateRegistry {
  private constructor(
    private readonly child: ChildProcess,
    private readonly dir: string,
    readonly port: number,
    private readonly auth?: { username: string; password: string },
  ) {}

  static async start(options: { auth?: boolean } = {}): Promise<PrivateRegistry> {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-registry-'));
    const authBlock = options.auth ? `auth:\n  htpasswd:\n    realm: switchyard-test\n    path: ${join(dir, 'htpasswd')}\n` : '';
    if (options.auth) writeFileSync(join(dir, 'htpasswd'), `${REGISTRY_USER.htpasswd}\n`);
    writeFileSync(
      join(dir, 'config.yml'),
      `version: 0.1\nlog:\n  level: warn\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: ${join(dir, 'data')}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:${port}\n${authBlock}`,
    );
    const log = openSync(join(dir, 'registry.log'), 'a');
    const child = spawn('docker-registry', ['serve', join(dir, 'config.yml')], { stdio: ['ignore', log, log] });
    const registry = new PrivateRegistry(child, dir, port, options.auth ? REGISTRY_USER : undefined);
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`docker-registry exited with ${child.exitCode}; see ${join(dir, 'registry.log')}`);
        const res = await fetch(`http://${registry.host}/v2/`).catch(() => undefined);
        return res !== undefined && (res.status === 200 || res.status === 401);
      },
      10_000,
      'docker-registry to listen',
    );
    return registry;
  }

  get host(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** HEAD /v2/<name>/manifests/<tag>, as a client resolving a tag would. */
  async manifest(name: string, tag: string): Promise<{ status: number; digest: string | null; contentType: string | null }> {
    const res = await fetch(`http://${this.host}/v2/${name}/manifests/${tag}`, { method: 'HEAD', headers: { accept: MANIFEST_ACCEPT, ...this.authHeader() } });
    return { status: res.status, digest: res.headers.get('docker-content-digest'), contentType: res.headers.get('content-type') };
  }

  /** Pushes an image as a client would (blob upload, then the manifest under `tag`); returns the registry's digest. */
  async push(name: string, tag: string, image: ScratchImage): Promise<string> {
    const started = await fetch(`http://${this.host}/v2/${name}/blobs/uploads/`, { method: 'POST', headers: this.authHeader() });
    if (started.status !== 202) throw new Error(`blob upload to ${name} answered ${started.status}`);
    const upload = new URL(started.headers.get('location') as string, `http://${this.host}`);
    upload.searchParams.set('digest', sha256(image.config));
    const blob = await fetch(upload, { method: 'PUT', body: image.config, headers: { 'content-type': 'application/octet-stream', ...this.authHeader() } });
    if (blob.status !== 201) throw new Error(`blob upload to ${name} answered ${blob.status}`);
    const manifest = await fetch(`http://${this.host}/v2/${name}/manifests/${tag}`, {
      method: 'PUT',
      body: image.manifest,
      headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json', ...this.authHeader() },
    });
    if (manifest.status !== 201) throw new Error(`manifest push to ${name}:${tag} answered ${manifest.status}: ${await manifest.text()}`);
    return manifest.headers.get('docker-content-digest') as string;
  }

  /** Tags of a repository; [] when the repository does not exist. */
  async tags(name: string): Promise<string[]> {
    const res = await fetch(`http://${this.host}/v2/${name}/tags/list`, { headers: this.authHeader() });
    if (res.status === 404) return [];
    const body = (await res.json()) as { tags?: string[] | null };
    return body.tags ?? [];
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null) {
      await new Promise<void>((resolve) => {
        this.child.once('exit', () => resolve());
        this.child.kill('SIGTERM');
      });
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  private authHeader(): Record<string, string> {
    return this.auth ? { authorization: `Basic ${Buffer.from(`${this.auth.username}:${this.auth.password}`).toString('base64')}` } : {};
  }
}
