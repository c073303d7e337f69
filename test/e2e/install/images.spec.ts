import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from '../../support/free-port';
import { requireTool } from '../../support/system-tool';
import { waitFor } from '../../support/test-server';

const root = resolve(__dirname, '../../..');
const BUILD_BASE = 'localhost/switchyard-node:24-build';
const RUNTIME_BASE = 'localhost/switchyard-node:24-runtime';

interface Run {
  status: number;
  stdout: string;
  stderr: string;
}

interface ImageConfig {
  User: string;
  Entrypoint: string[];
  Cmd?: string[];
  Env: string[];
  ExposedPorts?: Record<string, unknown>;
}

/**
 * The three images built as the README says, with buildah (vfs, chroot: no daemon, no privileges)
 * from this checkout. No registry is reachable here, so the Containerfiles' NODE_IMAGE and
 * RUNTIME_IMAGE (the official node:24 image by default) are local stand-ins assembled from this
 * machine's Node by scripts/node-base-image.mjs; everything after FROM is the real build.
 */
const haveBuildah = requireTool('buildah');
(haveBuildah ? describe : describe.skip)('container images (Containerfile, Containerfile.proxy, Containerfile.cli)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-images-'));
  const storage = ['--storage-driver', 'vfs', '--root', join(dir, 'root'), '--runroot', join(dir, 'run')];
  const timings: string[] = [];

  const buildah = (args: string[], timeoutMs = 900_000): Promise<Run> =>
    new Promise((done) => {
      execFile('buildah', [...storage, ...args], { cwd: root, encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) =>
        done({ status: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });

  async function build(containerfile: string, tag: string): Promise<void> {
    const started = Date.now();
    const result = await buildah([
      'bud',
      '--isolation',
      'chroot',
      '--build-arg',
      `NODE_IMAGE=${BUILD_BASE}`,
      '--build-arg',
      `RUNTIME_IMAGE=${RUNTIME_BASE}`,
      '-f',
      containerfile,
      '-t',
      tag,
      '.',
    ]);
    if (result.status !== 0) throw new Error(`buildah bud -f ${containerfile} failed:\n${result.stdout.slice(-4000)}\n${result.stderr.slice(-4000)}`);
    timings.push(`${containerfile}: ${Math.round((Date.now() - started) / 1000)} s`);
  }

  async function inspect(tag: string): Promise<{ config: ImageConfig; size: string }> {
    const info = JSON.parse((await buildah(['inspect', '--type', 'image', tag])).stdout) as { OCIv1: { config: ImageConfig } };
    // As buildah prints it, e.g. "358 MB" (decimal units).
    const size = (await buildah(['images', '--noheading', '--format', '{{.Size}}', tag])).stdout.trim();
    return { config: info.OCIv1.config, size };
  }

  /** Megabytes from buildah's "358 MB": the final stages must stay far from a build stage's ~1 GB. */
  const megabytes = (size: string): number => {
    const [value, unit] = size.split(/\s+/);
    return Number(value) * ({ kB: 0.001, MB: 1, GB: 1000 }[unit] ?? NaN);
  };

  /** Runs a command in a working container of the image (chroot isolation, the image's user). */
  async function inImage(tag: string, command: string[]): Promise<Run> {
    const container = (await buildah(['from', tag])).stdout.trim();
    try {
      return await buildah(['run', '--isolation', 'chroot', container, '--', ...command], 120_000);
    } finally {
      await buildah(['rm', container]);
    }
  }

  beforeAll(async () => {
    const started = Date.now();
    await new Promise<void>((done, fail) =>
      execFile(process.execPath, ['scripts/node-base-image.mjs', ...storage], { cwd: root, encoding: 'utf8' }, (error, _stdout, stderr) =>
        error ? fail(new Error(`node-base-image failed: ${stderr}`)) : done(),
      ),
    );
    timings.push(`base images: ${Math.round((Date.now() - started) / 1000)} s`);
    // Sequential: vfs copies whole layers, and two builds at once only compete for the same disk.
    await build('Containerfile', 'localhost/switchyard/server:test');
    await build('Containerfile.proxy', 'localhost/switchyard/proxy:test');
    await build('Containerfile.cli', 'localhost/switchyard/cli:test');
  }, 1_800_000);

  afterAll(async () => {
    process.stdout.write(`image builds (buildah, vfs): ${timings.join(', ')}\n`);
    await buildah(['rm', '--all']);
    rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  const sizes: string[] = [];
  afterAll(() => process.stdout.write(`image sizes: ${sizes.join(', ')}\n`));

  it('server: non-root, starts from the built dist/, no dev dependencies or build tools, and serves /healthz and the UI', async () => {
    const { config, size } = await inspect('localhost/switchyard/server:test');
    sizes.push(`server ${size}`);
    expect(megabytes(size)).toBeLessThan(500);
    expect(config.User).toBe('1000:1000');
    expect(config.Entrypoint).toEqual(['node', '--enable-source-maps', 'dist/apps/server/src/main.js']);
    expect(config.Env).toEqual(expect.arrayContaining(['NODE_ENV=production', 'DATA_DIR=/var/lib/switchyard']));

    // What is in the final stage: the runtime dependencies only, the compiled server and UI, no sources.
    const listing = await inImage('localhost/switchyard/server:test', [
      'node',
      '-e',
      `const fs = require('node:fs');
       const has = (p) => fs.existsSync(p);
       console.log(JSON.stringify({
         uid: process.getuid(),
         nest: has('node_modules/@nestjs/core'), typescript: has('node_modules/typescript'), vite: has('node_modules/vite'),
         jest: has('node_modules/jest'), swc: has('node_modules/@swc/core'), sources: has('apps/server/src') || has('libs'),
         ui: has('apps/admin-ui/dist/index.html'), npm: has('/usr/local/lib/node_modules/npm'), shell: has('/bin/sh'),
         dataWritable: (() => { try { fs.accessSync('/var/lib/switchyard', fs.constants.W_OK); return true; } catch { return false; } })(),
       }));`,
    ]);
    expect(listing.stderr).toBe('');
    expect(JSON.parse(listing.stdout)).toEqual({
      uid: 1000,
      nest: true,
      typescript: false,
      vite: false,
      jest: false,
      swc: false,
      sources: false,
      ui: true,
      npm: false,
      shell: false,
      dataWritable: true,
    });

    // And it runs: the image's entrypoint, as its user, on embedded storage, answering on loopback.
    const port = await freePort();
    const container = (await buildah(['from', 'localhost/switchyard/server:test'])).stdout.trim();
    const server = spawn(
      'buildah',
      [...storage, 'run', '--isolation', 'chroot', '--env', `PORT=${port}`, '--env', 'HOST=127.0.0.1', container, '--', ...config.Entrypoint],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    server.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    server.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    try {
      await waitFor(
        async () => {
          if (server.exitCode !== null) throw new Error(`the image's server exited with ${server.exitCode}:\n${output}`);
          const health = await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined);
          return health?.status === 200;
        },
        120_000,
        'the server in the image to answer /healthz',
      );
      const ui = await fetch(`http://127.0.0.1:${port}/`);
      expect(ui.status).toBe(200);
      expect(await ui.text()).toContain('<div id="root">');
      // Not a terminal: JSON lines, and the bootstrap token after the ready line.
      expect(output).toMatch(/"msg":"switchyard server ready"/);
    } finally {
      const exited = new Promise((done) => server.once('exit', done));
      server.kill('SIGTERM');
      await exited;
      await buildah(['rm', container]);
    }
  }, 300_000);

  it('proxy: non-root, its own entrypoint, refuses a route file that holds no list of routes', async () => {
    const { config, size } = await inspect('localhost/switchyard/proxy:test');
    sizes.push(`proxy ${size}`);
    // The bundle and the packages it imports on Node: 159 MB here (133 MB of it the runtime base),
    // down from 356 MB when the image carried the repository's whole production node_modules.
    expect(megabytes(size)).toBeLessThan(200);
    expect(config.User).toBe('1000:1000');
    expect(config.Entrypoint).toEqual(['node', '--enable-source-maps', 'dist/apps/proxy/src/main.js']);
    const help = await inImage('localhost/switchyard/proxy:test', [...config.Entrypoint, '--help']);
    expect(help.stderr).toBe('');
    expect(help.stdout).toContain('switchyard proxy --config routes.yml');
    // The bundle (apps/proxy/scripts/build.mjs) and the packages it imports: not the server's tree.
    const listing = await inImage('localhost/switchyard/proxy:test', [
      'node',
      '-e',
      `const has = (p) => require('node:fs').existsSync(p);
       console.log(JSON.stringify({
         httpProxy: has('node_modules/http-proxy'), promClient: has('node_modules/prom-client'), pino: has('node_modules/pino'),
         nestCore: has('node_modules/@nestjs/core'), typeorm: has('node_modules/typeorm'), kubernetes: has('node_modules/@kubernetes/client-node'),
         pglite: has('node_modules/@electric-sql/pglite'), fastify: has('node_modules/fastify'), sources: has('apps') || has('libs') || has('sdk'),
       }));`,
    ]);
    expect(listing.stderr).toBe('');
    expect(JSON.parse(listing.stdout)).toEqual({
      httpProxy: true,
      promClient: true,
      pino: true,
      nestCore: false,
      typeorm: false,
      kubernetes: false,
      pglite: false,
      fastify: false,
      sources: false,
    });
    const noRoutes = await inImage('localhost/switchyard/proxy:test', [...config.Entrypoint, '--config', '/dev/null']);
    expect(noRoutes.status).not.toBe(0);
    expect(noRoutes.stderr).toContain('expected a list of routes');
  }, 300_000);

  it('proxy: the image serves the primary on its route and mirrors a sample to the candidate', async () => {
    const { config } = await inspect('localhost/switchyard/proxy:test');
    let candidateCalls = 0;
    const backend = (who: string) =>
      new Promise<Server>((ready) => {
        const server = createServer((request, response) => {
          if (who === 'candidate') candidateCalls += 1;
          response.setHeader('content-type', 'application/json');
          response.end(JSON.stringify({ who, path: request.url }));
        });
        server.listen(0, '127.0.0.1', () => ready(server));
      });
    const [primary, candidate] = await Promise.all([backend('primary'), backend('candidate')]);
    const routes = join(dir, 'routes.yml');
    writeFileSync(
      routes,
      [
        '- name: demo',
        '  match: { pathPrefix: / }',
        `  primary: http://127.0.0.1:${(primary.address() as AddressInfo).port}`,
        `  candidate: http://127.0.0.1:${(candidate.address() as AddressInfo).port}`,
        '  sample: { percent: 100 }',
        '',
      ].join('\n'),
    );
    const [port, adminPort] = [await freePort(), await freePort()];
    const container = (await buildah(['from', 'localhost/switchyard/proxy:test'])).stdout.trim();
    await buildah(['copy', '--chmod', '0444', container, routes, '/etc/switchyard/routes.yml']);
    const args = ['--config', '/etc/switchyard/routes.yml', '--host', '127.0.0.1', '--port', String(port), '--admin-port', String(adminPort)];
    const proxy = spawn('buildah', [...storage, 'run', '--isolation', 'chroot', container, '--', ...config.Entrypoint, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    proxy.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    proxy.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    try {
      await waitFor(
        async () => {
          if (proxy.exitCode !== null) throw new Error(`the image's proxy exited with ${proxy.exitCode}:\n${output}`);
          return (await fetch(`http://127.0.0.1:${adminPort}/readyz`).catch(() => undefined))?.status === 200;
        },
        120_000,
        'the proxy in the image to be ready',
      );
      for (let i = 0; i < 3; i++) {
        const live = await fetch(`http://127.0.0.1:${port}/items/${i}`);
        expect(await live.json()).toEqual({ who: 'primary', path: `/items/${i}` });
      }
      const compared = await waitFor(
        async () => {
          const reports = (await (await fetch(`http://127.0.0.1:${adminPort}/reports`)).json()) as {
            routes: { route: string; totals: { compared: number } }[];
          };
          const demo = reports.routes.find((route) => route.route === 'demo');
          return demo && demo.totals.compared >= 3 ? demo.totals.compared : undefined;
        },
        30_000,
        'the three mirrored requests to be compared',
      );
      expect(compared).toBe(3);
      expect(candidateCalls).toBe(3);
    } finally {
      const exited = new Promise((done) => proxy.once('exit', done));
      proxy.kill('SIGTERM');
      await exited;
      await buildah(['rm', container]);
      primary.close();
      candidate.close();
    }
  }, 300_000);

  it('cli: non-root, `switchyard` as entrypoint with the packed package, runs --help and validate', async () => {
    const { config, size } = await inspect('localhost/switchyard/cli:test');
    sizes.push(`cli ${size}`);
    expect(megabytes(size)).toBeLessThan(250);
    expect(config.User).toBe('1000:1000');
    expect(config.Entrypoint).toEqual(['node', '/opt/switchyard/lib/node_modules/@switchyard/cli/bin/switchyard.js']);
    const help = await inImage('localhost/switchyard/cli:test', [...config.Entrypoint, '--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('usage: switchyard <command>');
    // The CLI's working directory is /work: a job mounts its checkout there.
    const validate = await inImage('localhost/switchyard/cli:test', [...config.Entrypoint, 'validate', '--file', '/nonexistent/switchyard.yml']);
    expect(validate.status).not.toBe(0);
    expect(validate.stderr).toContain('switchyard.yml');
    const onPath = await inImage('localhost/switchyard/cli:test', ['node', '-e', 'console.log(process.env.PATH)']);
    expect(onPath.stdout.split(':')[0]).toBe('/opt/switchyard/bin');
  }, 300_000);
});
