import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inClusterTarget, KubeConfigError, loadKubeconfig, resolveKubeTarget } from './kube-config';

describe('kubeconfig loading', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'kubeconfig-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const write = (name: string, text: string) => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  };

  it('reads the current context: server, CA (data or a file beside the kubeconfig), token, namespace', () => {
    write('ca.crt', 'CA-PEM');
    const file = write(
      'config',
      `apiVersion: v1
kind: Config
current-context: prod
clusters:
  - name: prod
    cluster: { server: "https://10.0.0.1:6443/", certificate-authority: ca.crt }
  - name: dev
    cluster: { server: "https://dev:6443", certificate-authority-data: ${Buffer.from('DEV-CA').toString('base64')}, insecure-skip-tls-verify: true }
users:
  - name: deployer
    user: { token: abc123 }
  - name: cert-user
    user: { client-certificate-data: ${Buffer.from('CERT').toString('base64')}, client-key-data: ${Buffer.from('KEY').toString('base64')} }
contexts:
  - name: prod
    context: { cluster: prod, user: deployer, namespace: apps }
  - name: dev
    context: { cluster: dev, user: cert-user }
`,
    );
    const prod = loadKubeconfig([file]);
    expect(prod).toMatchObject({ server: 'https://10.0.0.1:6443', namespace: 'apps', source: `kubeconfig ${file} (context prod)` });
    expect(prod.kubeConfig.getCurrentUser()?.token).toBe('abc123');
    // Relative paths are resolved beside the kubeconfig, as kubectl does.
    expect(prod.kubeConfig.getCurrentCluster()?.caFile).toBe(join(dir, 'ca.crt'));
    const dev = loadKubeconfig([file], 'dev');
    const user = dev.kubeConfig.getCurrentUser();
    const cluster = dev.kubeConfig.getCurrentCluster();
    expect([cluster?.caData, user?.certData, user?.keyData, cluster?.skipTLSVerify, user?.token]).toEqual([
      Buffer.from('DEV-CA').toString('base64'),
      Buffer.from('CERT').toString('base64'),
      Buffer.from('KEY').toString('base64'),
      true,
      undefined,
    ]);
  });

  it('merges KUBECONFIG files as kubectl does (first definition and first current-context win)', () => {
    const a = write('a', 'current-context: one\ncontexts: [{ name: one, context: { cluster: c1 } }]\n');
    const b = write(
      'b',
      'current-context: two\nclusters: [{ name: c1, cluster: { server: "http://127.0.0.1:1" } }, { name: c2, cluster: { server: "http://127.0.0.1:2" } }]\n',
    );
    expect(resolveKubeTarget({ kubeconfig: `${a}:${b}` })?.server).toBe('http://127.0.0.1:1');
  });

  it('keeps exec credential plugins (client-node runs them per request) and names what is wrong', () => {
    const exec = write(
      'exec',
      'current-context: x\ncontexts: [{ name: x, context: { cluster: c, user: u } }]\nclusters: [{ name: c, cluster: { server: "https://k" } }]\nusers: [{ name: u, user: { exec: { apiVersion: client.authentication.k8s.io/v1, command: aws, args: [eks, get-token] } } }]\n',
    );
    expect(loadKubeconfig([exec]).kubeConfig.getCurrentUser()?.exec).toMatchObject({ command: 'aws' });
    expect(() => resolveKubeTarget({ kubeconfig: join(dir, 'missing') })).toThrow(KubeConfigError);
    expect(() => loadKubeconfig([write('empty', 'kind: Config\n')])).toThrow(/no current-context/);
    expect(() => loadKubeconfig([exec], 'staging')).toThrow(/context "staging" is not defined/);
    expect(() => loadKubeconfig([write('broken', 'clusters: [ {')])).toThrow(/is not a kubeconfig/);
  });

  it('falls back to ~/.kube/config, then the in-cluster service account, else nothing', () => {
    expect(resolveKubeTarget({ home: dir }, join(dir, 'no-sa'))).toBeUndefined();
    const sa = join(dir, 'sa');
    mkdirSync(sa);
    writeFileSync(join(sa, 'token'), 'sa-token\n');
    writeFileSync(join(sa, 'ca.crt'), 'SA-CA');
    writeFileSync(join(sa, 'namespace'), 'switchyard');
    expect(resolveKubeTarget({ inCluster: { host: 'fd00::1', port: '443' } }, sa)).toMatchObject({
      server: 'https://[fd00::1]:443',
      namespace: 'switchyard',
      source: 'in-cluster service account',
    });
    const inCluster = inClusterTarget({ host: '10.96.0.1', port: '443' }, sa).kubeConfig;
    expect(inCluster.getCurrentCluster()?.caFile).toBe(join(sa, 'ca.crt'));
    expect(inCluster.getCurrentUser()?.authProvider).toMatchObject({ name: 'tokenFile', config: { tokenFile: join(sa, 'token') } });
  });
});
