#!/usr/bin/env node
// Assembles local stand-ins for the official Node image from this machine's own files, for
// machines that reach no container registry (the test machines here, air-gapped builders):
//
//   node scripts/node-base-image.mjs [--root DIR --runroot DIR] [--storage-driver vfs]
//
// builds two images with buildah, FROM scratch:
//   localhost/switchyard-node:24-build    node + npm + /bin/sh + /usr/bin/env (what the build stage uses)
//   localhost/switchyard-node:24-runtime  node only: no shell, no npm (what the final stage runs on)
// both with the official image's layout (/usr/local/bin/node, /usr/local/lib/node_modules/npm,
// user `node` = 1000:1000), so the Containerfiles build unchanged with
//   --build-arg NODE_IMAGE=localhost/switchyard-node:24-build --build-arg RUNTIME_IMAGE=localhost/switchyard-node:24-runtime
// The shared libraries are the host's (found with ldd), so the images run on the host's glibc
// generation, as node:24-bookworm-slim runs on Debian 12's.
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export const BUILD_BASE = 'localhost/switchyard-node:24-build';
export const RUNTIME_BASE = 'localhost/switchyard-node:24-runtime';

const GLIBC = ['librt.so.1', 'libresolv.so.2', 'libutil.so.1', 'libanl.so.1', 'libnss_dns.so.2', 'libnss_files.so.2', 'libz.so.1'];

/** The shared libraries (and the loader) a binary needs, as absolute paths on this host. */
function sharedLibraries(binary) {
  const out = execFileSync('ldd', [binary], { encoding: 'utf8' });
  return [...out.matchAll(/(\/\S+)\s+\(0x/g)].map((m) => m[1]);
}

/** Copies a host file into the root tree at the same path, following symlinks (the tree gets the real bytes). */
function place(root, hostPath, at = hostPath) {
  const target = join(root, at);
  mkdirSync(dirname(target), { recursive: true });
  copyFileSync(realpathSync(hostPath), target);
  chmodSync(target, 0o755);
}

function rootTree({ withNpm }) {
  const root = mkdtempSync(join(tmpdir(), 'switchyard-node-root-'));
  // Debian's merged /usr: /lib64 and /lib point into /usr, as ldd's paths assume.
  for (const dir of ['usr/bin', 'usr/lib', 'usr/lib64', 'usr/local/bin', 'etc', 'tmp', 'home/node', 'root']) mkdirSync(join(root, dir), { recursive: true });
  for (const [link, to] of [
    ['bin', 'usr/bin'],
    ['lib', 'usr/lib'],
    ['lib64', 'usr/lib64'],
  ])
    symlinkSync(to, join(root, link));
  chmodSync(join(root, 'tmp'), 0o1777);
  const binaries = [process.execPath];
  place(root, process.execPath, '/usr/local/bin/node');
  if (withNpm) {
    binaries.push('/bin/sh', '/usr/bin/env');
    place(root, '/bin/sh', '/usr/bin/sh');
    place(root, '/usr/bin/env');
    // The npm on PATH (its bin/npm-cli.js resolved through the symlink), whichever prefix it lives in.
    const npmCli = realpathSync(execFileSync('sh', ['-c', 'command -v npm'], { encoding: 'utf8' }).trim());
    cpSync(dirname(dirname(npmCli)), join(root, 'usr/local/lib/node_modules/npm'), { recursive: true });
    symlinkSync('../lib/node_modules/npm/bin/npm-cli.js', join(root, 'usr/local/bin/npm'));
    symlinkSync('../lib/node_modules/npm/bin/npx-cli.js', join(root, 'usr/local/bin/npx'));
  }
  // The host's trust store, so npm in the build stage trusts what this machine trusts (a company's
  // TLS-inspecting proxy included), as a company's own base image would.
  if (withNpm) place(root, '/etc/ssl/certs/ca-certificates.crt');
  for (const binary of binaries) for (const lib of sharedLibraries(binary)) place(root, lib.replace(/^\/(lib|lib64)\//, '/usr/$1/'));
  // The rest of glibc, as any Debian image has it: native addons load these (rolldown's needs librt).
  const libDir = dirname(sharedLibraries(process.execPath).find((lib) => lib.includes('/libc.so')));
  for (const name of GLIBC) if (existsSync(join(libDir, name))) place(root, join(libDir, name).replace(/^\/(lib|lib64)\//, '/usr/$1/'));
  writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nnode:x:1000:1000::/home/node:/bin/sh\n');
  writeFileSync(join(root, 'etc/group'), 'root:x:0:\nnode:x:1000:\n');
  return root;
}

function buildah(storage, args) {
  return execFileSync('buildah', [...storage, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
}

/** Builds both base images into the given buildah storage (global options such as --root, --storage-driver). */
export function buildNodeBaseImages(storage = []) {
  for (const [image, withNpm] of [
    [BUILD_BASE, true],
    [RUNTIME_BASE, false],
  ]) {
    const root = rootTree({ withNpm });
    try {
      const container = buildah(storage, ['from', 'scratch']);
      buildah(storage, ['copy', container, `${root}/`, '/']);
      buildah(storage, [
        'config',
        '--env',
        'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
        '--env',
        `NODE_VERSION=${process.versions.node}`,
        ...(withNpm ? ['--env', 'NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt'] : []),
        '--cmd',
        'node',
        '--label',
        `org.opencontainers.image.description=Local stand-in for node:${process.versions.node.split('.')[0]}-slim, assembled from the host's Node`,
        container,
      ]);
      buildah(storage, ['commit', '--rm', container, image]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  }
  return { build: BUILD_BASE, runtime: RUNTIME_BASE };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const storage = process.argv.slice(2);
  const images = buildNodeBaseImages(storage);
  console.log(`built ${images.build} and ${images.runtime}`);
}
