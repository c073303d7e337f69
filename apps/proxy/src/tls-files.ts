import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import type tls from 'node:tls';
import type { Logger } from '@switchyard/observability';

/** The live port's certificate chain and key, as PEM files (`--tls-cert`, `--tls-key`). */
export interface TlsFiles {
  certFile: string;
  keyFile: string;
}

/** A certificate or key that cannot serve: unreadable, not PEM, or a key that is not the certificate's. */
export class TlsFilesError extends Error {}

/**
 * Reads and checks the pair. A key that does not belong to the certificate would otherwise only
 * show up as every client's handshake failing, so it is refused here with both file names.
 */
export function readTlsFiles(files: TlsFiles): Pick<tls.SecureContextOptions, 'cert' | 'key'> {
  const read = (option: string, path: string): Buffer => {
    try {
      return readFileSync(path);
    } catch (error) {
      throw new TlsFilesError(`${option} ${path}: cannot read it (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  };
  const cert = read('--tls-cert', files.certFile);
  const key = read('--tls-key', files.keyFile);
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(cert);
  } catch {
    throw new TlsFilesError(`--tls-cert ${files.certFile}: not a PEM certificate`);
  }
  let privateKey;
  try {
    privateKey = createPrivateKey(key);
  } catch {
    throw new TlsFilesError(`--tls-key ${files.keyFile}: not a PEM private key (or it is encrypted)`);
  }
  if (!certificate.checkPrivateKey(privateKey)) {
    throw new TlsFilesError(`--tls-key ${files.keyFile} does not match the certificate in --tls-cert ${files.certFile}`);
  }
  return { cert, key };
}

/** What the live server offers when its files change: `setSecureContext` of https.Server. */
export interface SecureContextTarget {
  setSecureContext(options: tls.SecureContextOptions): void;
}

/**
 * Picks up a rotated certificate without a restart (cert-manager and Kubernetes Secrets replace
 * the files, often through a symlink swap, so the directories are watched, as the route file's
 * is). A pair that does not load keeps the context in effect and says why.
 */
export class TlsFileWatcher {
  private readonly watchers: FSWatcher[] = [];
  private debounce?: NodeJS.Timeout;
  private current: string;

  constructor(
    private readonly files: TlsFiles,
    private readonly server: SecureContextTarget,
    private readonly logger: Logger,
    private readonly onReload?: (result: 'success' | 'failure') => void,
    private readonly debounceMs = 200,
  ) {
    this.current = fingerprint(files);
  }

  watch(): void {
    const directories = new Set([dirname(resolve(this.files.certFile)), dirname(resolve(this.files.keyFile))]);
    const names = new Set([basename(this.files.certFile), basename(this.files.keyFile)]);
    for (const directory of directories) {
      try {
        const watcher = watch(directory, { persistent: false }, (_event, name) => {
          // Kubernetes Secret volumes swap a `..data` symlink; any other name is an unrelated file.
          if (name === null || names.has(name) || name.startsWith('..')) this.schedule();
        });
        watcher.on('error', (error) => this.logger.debug({ directory, err: error.message }, 'TLS file directory watch ended'));
        this.watchers.push(watcher);
      } catch (error) {
        this.logger.warn({ directory, err: (error as Error).message }, 'cannot watch the TLS files; a rotated certificate needs a restart');
      }
    }
  }

  private schedule(): void {
    clearTimeout(this.debounce);
    this.debounce = setTimeout(() => this.reload(), this.debounceMs);
    this.debounce.unref();
  }

  /** Applies the files if they changed; a bad pair keeps the context in effect. */
  reload(): void {
    let next: string;
    try {
      next = fingerprint(this.files);
    } catch {
      next = '';
    }
    if (next === this.current) return;
    try {
      this.server.setSecureContext(readTlsFiles(this.files));
      this.current = next;
      this.logger.info({ cert: this.files.certFile }, 'TLS certificate reloaded');
      this.onReload?.('success');
    } catch (error) {
      // Half-written files (the key replaced before the certificate) land here too; the next change retries.
      this.logger.warn({ reason: (error as Error).message }, 'TLS certificate not reloaded; the previous one stays in use');
      this.onReload?.('failure');
    }
  }

  close(): void {
    clearTimeout(this.debounce);
    for (const watcher of this.watchers) watcher.close();
    this.watchers.length = 0;
  }
}

function fingerprint(files: TlsFiles): string {
  return `${readFileSync(files.certFile, 'utf8')}\n${readFileSync(files.keyFile, 'utf8')}`;
}
