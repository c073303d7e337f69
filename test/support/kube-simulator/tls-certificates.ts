import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ServingCertificate {
  /** PEM of the CA that signed `cert`: what a kubeconfig's certificate-authority-data carries. */
  ca: string;
  cert: string;
  key: string;
}

let cached: ServingCertificate | undefined;

/**
 * A throwaway CA and a serving certificate for 127.0.0.1/localhost, made with the openssl CLI (one
 * per process). TLS matters beyond realism: kubectl sends no credentials over plain HTTP, so RBAC
 * can only be checked with kubectl against an HTTPS simulator.
 */
export function servingCertificate(): ServingCertificate {
  if (cached) return cached;
  const dir = mkdtempSync(join(tmpdir(), 'kube-simulator-tls-'));
  const file = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  try {
    const ecKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
    openssl(
      'req',
      '-x509',
      ...ecKey,
      '-keyout',
      file('ca.key'),
      '-out',
      file('ca.crt'),
      '-days',
      '2',
      '-subj',
      '/CN=switchyard-simulator-ca',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    );
    openssl('req', ...ecKey, '-keyout', file('tls.key'), '-out', file('tls.csr'), '-subj', '/CN=127.0.0.1');
    writeFileSync(file('ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n');
    openssl(
      'x509',
      '-req',
      '-in',
      file('tls.csr'),
      '-CA',
      file('ca.crt'),
      '-CAkey',
      file('ca.key'),
      '-CAcreateserial',
      '-out',
      file('tls.crt'),
      '-days',
      '2',
      '-extfile',
      file('ext.cnf'),
    );
    cached = { ca: readFileSync(file('ca.crt'), 'utf8'), cert: readFileSync(file('tls.crt'), 'utf8'), key: readFileSync(file('tls.key'), 'utf8') };
    return cached;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
