import { spawn, type ChildProcess } from 'node:child_process';
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
