import { SecretSealer, SecretSealError } from './secret-sealer';
import type { KubeObject } from './kube-resources';

const key = (fill: number) => ({ secretsKey: Buffer.alloc(32, fill) });
const secret = (): KubeObject =>
  ({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'db', annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"data":{"password":"aHVudGVyMg=="}}' } },
    data: { password: 'aHVudGVyMg==' },
    stringData: { user: 'app' },
  }) as KubeObject;

describe('SecretSealer', () => {
  it('seals every Secret value and the last-applied annotation, and opens them again', () => {
    const sealer = new SecretSealer(key(1));
    const sealed = sealer.seal(secret());
    const text = JSON.stringify(sealed);
    expect(text).not.toContain('aHVudGVyMg==');
    expect(text).not.toContain('"app"');
    expect((sealed as any).data.password).toMatch(/^sealed:v1:/);
    expect(sealer.seal(sealed)).toEqual(sealed);
    expect(sealer.open(sealed)).toEqual(secret());
  });

  it('leaves other objects and Secrets without values untouched', () => {
    const sealer = new SecretSealer(key(1));
    const config = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: '1' } } as KubeObject;
    expect(sealer.seal(config)).toBe(config);
    const empty = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'e' } } as KubeObject;
    expect(sealer.seal(empty)).toBe(empty);
    expect(SecretSealer.hasValues(empty)).toBe(false);
    expect(SecretSealer.hasValues(secret())).toBe(true);
  });

  it('refuses without a key, and says so when a different key cannot open a value', () => {
    expect(() => new SecretSealer({}).seal(secret())).toThrow(SecretSealError);
    const sealed = new SecretSealer(key(1)).seal(secret());
    expect(() => new SecretSealer(key(2)).open(sealed)).toThrow(/does not open with SECRETS_KEY/);
  });
});
