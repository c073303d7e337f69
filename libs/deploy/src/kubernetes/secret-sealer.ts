import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@switchyard/config';
import type { KubeObject } from './kube-resources';

const PREFIX = 'sealed:v1:';
const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/** A Secret's values could not be sealed or opened: no key, or a different key than sealed them. */
export class SecretSealError extends Error {}

/**
 * Secret values from release manifests are kept in PostgreSQL only sealed (AES-256-GCM under
 * SECRETS_KEY), so a database dump or backup holds no credentials; they are opened only where a
 * rollout applies them. Every other object passes through untouched. Sealing is idempotent.
 */
@Injectable()
export class SecretSealer {
  private readonly key: Buffer | undefined;

  constructor(@Inject(APP_CONFIG) config: Pick<AppConfig, 'secretsKey'>) {
    this.key = config.secretsKey;
  }

  get configured(): boolean {
    return this.key !== undefined;
  }

  /** Whether an object carries Secret values (which need SECRETS_KEY to be stored). */
  static hasValues(object: KubeObject): boolean {
    if (object.kind !== 'Secret') return false;
    const { data, stringData } = object as { data?: Record<string, unknown>; stringData?: Record<string, unknown> };
    return Object.keys(data ?? {}).length > 0 || Object.keys(stringData ?? {}).length > 0 || Boolean(object.metadata.annotations?.[LAST_APPLIED]);
  }

  seal<T extends KubeObject>(object: T): T {
    return this.map(object, (value) => (value.startsWith(PREFIX) ? value : this.encrypt(value)));
  }

  open<T extends KubeObject>(object: T): T {
    return this.map(object, (value) => (value.startsWith(PREFIX) ? this.decrypt(value) : value));
  }

  private map<T extends KubeObject>(object: T, each: (value: string) => string): T {
    if (!SecretSealer.hasValues(object)) return object;
    const copy = structuredClone(object) as T & { data?: Record<string, unknown>; stringData?: Record<string, unknown> };
    for (const field of ['data', 'stringData'] as const) {
      const values = copy[field];
      if (!values) continue;
      for (const [name, value] of Object.entries(values)) if (typeof value === 'string') values[name] = each(value);
    }
    const annotations = copy.metadata.annotations;
    if (annotations?.[LAST_APPLIED]) annotations[LAST_APPLIED] = each(annotations[LAST_APPLIED]);
    return copy;
  }

  private encrypt(value: string): string {
    const key = this.requireKey();
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    const body = Buffer.concat([cipher.update(value, 'utf8'), cipher.final()]);
    return PREFIX + Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64');
  }

  private decrypt(sealed: string): string {
    const key = this.requireKey();
    const raw = Buffer.from(sealed.slice(PREFIX.length), 'base64');
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
      decipher.setAuthTag(raw.subarray(12, 28));
      return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
    } catch {
      throw new SecretSealError('a stored Secret value does not open with SECRETS_KEY (was the key changed?)');
    }
  }

  private requireKey(): Buffer {
    if (!this.key) throw new SecretSealError('Secret values in manifests need SECRETS_KEY on the server (they are stored encrypted)');
    return this.key;
  }
}
