import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chooseTlsFiles, readTlsFiles, TlsFilesError } from './tls-files';

describe('chooseTlsFiles', () => {
  const fromFile = { file: 'routes.yml', tls: { certFile: '/etc/tls/live.crt', keyFile: '/etc/tls/live.key' } };

  it('takes the flags, or the route file with its fields named, or neither', () => {
    expect(chooseTlsFiles({ tlsCert: 'c.pem', tlsKey: 'k.pem' })).toEqual({ certFile: 'c.pem', keyFile: 'k.pem' });
    expect(chooseTlsFiles({ tlsCert: 'c.pem', tlsKey: 'k.pem' }, { file: 'routes.yml' })).toEqual({ certFile: 'c.pem', keyFile: 'k.pem' });
    expect(chooseTlsFiles({}, fromFile)).toEqual({ ...fromFile.tls, labels: { cert: 'routes.yml: tls.cert', key: 'routes.yml: tls.key' } });
    expect(chooseTlsFiles({}, { file: 'routes.yml' })).toBeUndefined();
    expect(chooseTlsFiles({})).toBeUndefined();
  });

  it('refuses TLS set both by the flags and by the route file', () => {
    expect(() => chooseTlsFiles({ tlsCert: 'c.pem', tlsKey: 'k.pem' }, fromFile)).toThrow(
      new TlsFilesError('TLS is set twice: by --tls-cert/--tls-key and by tls: in routes.yml; keep one of them'),
    );
  });
});

describe('readTlsFiles', () => {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-tls-files-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('names the setting a file came from', () => {
    const missing = join(dir, 'missing.crt');
    expect(() => readTlsFiles({ certFile: missing, keyFile: missing })).toThrow(`--tls-cert ${missing}: cannot read it (ENOENT)`);
    expect(() => readTlsFiles({ certFile: missing, keyFile: missing, labels: { cert: 'routes.yml: tls.cert', key: 'routes.yml: tls.key' } })).toThrow(
      `routes.yml: tls.cert ${missing}: cannot read it (ENOENT)`,
    );
  });
});
