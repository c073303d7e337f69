import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from '../../support/free-port';
import { waitFor } from '../../support/test-server';
import { send, startFixtures, type Fixtures } from './fixture-services';

const root = resolve(__dirname, '../../..');

function run(args: string[]): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['scripts/start-proxy.mjs', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  return { child, output: () => output, exited };
}

/** A self-signed certificate for localhost and 127.0.0.1, as `openssl req -x509` makes one. */
function selfSigned(dir: string, name: string): { cert: string; key: string; fingerprint: string } {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '1',
      '-subj',
      `/CN=${name}`,
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
      '-keyout',
      key,
      '-out',
      cert,
    ],
    { stdio: 'ignore' },
  );
  return { cert, key, fingerprint: new X509Certificate(readFileSync(cert)).fingerprint256 };
}

/** GET over HTTPS trusting only `ca`; resolves with the body and the certificate the server presented. */
function httpsGet(url: string, ca: string[]): Promise<{ status: number; body: Buffer; fingerprint: string }> {
  return new Promise((done, fail) => {
    const request = https.get(url, { ca, agent: false }, (response) => {
      const fingerprint = (response.socket as import('node:tls').TLSSocket).getPeerCertificate().fingerprint256;
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => done({ status: response.statusCode ?? 0, body: Buffer.concat(chunks), fingerprint }));
    });
    request.on('error', fail);
  });
}

describe('switchyard proxy --tls-cert/--tls-key', () => {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-tls-'));
  let fixtures: Fixtures<'primary' | 'candidate'>;
  let routes: string;
  let first: ReturnType<typeof selfSigned>;
  let second: ReturnType<typeof selfSigned>;

  beforeAll(async () => {
    fixtures = await startFixtures({ primary: 'primary', candidate: 'match' });
    first = selfSigned(dir, 'first');
    second = selfSigned(dir, 'second');
    routes = join(dir, 'routes.yml');
    writeFileSync(
      routes,
      ['- name: quotes', `  primary: ${fixtures.urls.primary}`, `  candidate: ${fixtures.urls.candidate}`, '  sample: { percent: 100 }', ''].join('\n'),
    );
  });

  afterAll(async () => {
    await fixtures?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a key that does not match the certificate: one clear line, exit 2', async () => {
    const proxy = run(['--config', routes, '--port', '0', '--admin-port', '0', '--tls-cert', first.cert, '--tls-key', second.key]);
    expect(await proxy.exited).toBe(2);
    const lines = proxy
      .output()
      .split('\n')
      .filter((line) => line.startsWith('switchyard proxy:') && !line.includes('building'));
    expect(lines).toEqual([`switchyard proxy: --tls-key ${second.key} does not match the certificate in --tls-cert ${first.cert}`]);
    expect(proxy.output()).not.toMatch(/\n\s+at /);
  }, 180_000);

  it('serves HTTPS to curl --cacert and Node, and picks up a rotated certificate without a restart', async () => {
    // The files the proxy serves from; rotation overwrites them in place, as cert-manager does.
    const cert = join(dir, 'live.crt');
    const key = join(dir, 'live.key');
    copyFileSync(first.cert, cert);
    copyFileSync(first.key, key);
    const [port, adminPort] = [await freePort(), await freePort()];
    const proxy = run([
      '--config',
      routes,
      '--port',
      String(port),
      '--admin-port',
      String(adminPort),
      '--host',
      '127.0.0.1',
      '--log-level',
      'info',
      '--tls-cert',
      cert,
      '--tls-key',
      key,
    ]);
    await waitFor(
      async () => {
        if (proxy.child.exitCode !== null) throw new Error(`proxy exited with ${proxy.child.exitCode}: ${proxy.output()}`);
        return (await fetch(`http://127.0.0.1:${adminPort}/readyz`).catch(() => undefined))?.status === 200;
      },
      120_000,
      'proxy ready',
    );
    const url = `https://localhost:${port}/static/small`;
    const direct = await send(`${fixtures.urls.primary}/static/small`);

    const curl = await new Promise<string>((done, fail) =>
      execFile('curl', ['--silent', '--show-error', '--fail', '--cacert', first.cert, url], (error, stdout) => (error ? fail(error) : done(stdout))),
    );
    expect(curl).toBe(direct.body.toString());
    const viaNode = await httpsGet(url, [readFileSync(first.cert, 'utf8')]);
    expect({ status: viaNode.status, same: viaNode.body.equals(direct.body), fingerprint: viaNode.fingerprint }).toEqual({
      status: 200,
      same: true,
      fingerprint: first.fingerprint,
    });

    // Rotation: both files replaced; new handshakes present the new certificate.
    const both = [readFileSync(first.cert, 'utf8'), readFileSync(second.cert, 'utf8')];
    writeFileSync(key, readFileSync(second.key));
    writeFileSync(cert, readFileSync(second.cert));
    await waitFor(async () => (await httpsGet(url, both)).fingerprint === second.fingerprint, 10_000, 'the rotated certificate');
    expect((await httpsGet(url, [both[1]])).status).toBe(200);

    // A bad rotation keeps the certificate in effect and says why.
    const before = proxy.output().length;
    writeFileSync(key, 'not a key\n');
    const after = () => proxy.output().slice(before);
    await waitFor(() => after().includes('TLS certificate not reloaded'), 10_000, 'the rejected reload to be logged');
    expect(after()).toContain('not a PEM private key');
    expect((await httpsGet(url, [both[1]])).fingerprint).toBe(second.fingerprint);
    expect(proxy.child.exitCode).toBeNull();

    proxy.child.kill('SIGTERM');
    expect(await proxy.exited).toBe(0);
  }, 180_000);
});
