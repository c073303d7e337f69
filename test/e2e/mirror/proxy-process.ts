import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import { join, resolve } from 'node:path';
import type { TLSSocket } from 'node:tls';

const root = resolve(__dirname, '../../..');

export interface ProxyProcess {
  child: ChildProcess;
  /** stdout and stderr so far. */
  output: () => string;
  exited: Promise<number | null>;
}

/** `npm run start:proxy -- …` as an operator runs it (builds dist/ first when the sources changed). */
export function runProxy(args: string[]): ProxyProcess {
  const child = spawn(process.execPath, ['scripts/start-proxy.mjs', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  return { child, output: () => output, exited };
}

/** What the proxy itself said on its way out (the build's own line left out). */
export function proxyLines(proxy: ProxyProcess): string[] {
  return proxy
    .output()
    .split('\n')
    .filter((line) => line.startsWith('switchyard proxy:') && !line.includes('building'));
}

/** A self-signed certificate for localhost and 127.0.0.1, as `openssl req -x509` makes one. */
export function selfSigned(dir: string, name: string): { cert: string; key: string; fingerprint: string } {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', `/CN=${name}`].concat([
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
      '-keyout',
      key,
      '-out',
      cert,
    ]),
    { stdio: 'ignore' },
  );
  return { cert, key, fingerprint: new X509Certificate(readFileSync(cert)).fingerprint256 };
}

/** GET over HTTPS trusting only `ca`; resolves with the body and the certificate the server presented. */
export function httpsGet(url: string, ca: string[], headers: Record<string, string> = {}): Promise<{ status: number; body: Buffer; fingerprint: string }> {
  return new Promise((done, fail) => {
    const request = https.get(url, { ca, agent: false, headers }, (response) => {
      const fingerprint = (response.socket as TLSSocket).getPeerCertificate().fingerprint256;
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => done({ status: response.statusCode ?? 0, body: Buffer.concat(chunks), fingerprint }));
    });
    request.on('error', fail);
  });
}
