import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import type tls from 'node:tls';
import type { Logger } from '@switchyard/observability';

/** The live port's certificate chain and key, as PEM files (`--tls-cert`, `--tls-key`, or the route file's `tls:`). */
export interface TlsFiles {
  certFile: string;
  keyFile: string;
  /** How errors name the two settings, so a bad file points at where it was set (default: the flags). */
  labels?: { cert: string; key: string };
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
  const labels = files.labels ?? { cert: '--tls-cert', key: '--tls-key' };
  const cert = read(labels.cert, files.certFile);
  const key = read(labels.key, files.keyFile);
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(cert);
  } catch {
    throw new TlsFilesError(`${labels.cert} ${files.certFile}: not a PEM certificate`);
  }
  let privateKey;
  try {
    privateKey = createPrivateKey(key);
  } catch {
    throw new TlsFilesError(`${labels.key} ${files.keyFile}: not a PEM private key (or it is encrypted)`);
  }
  if (!certificate.checkPrivateKey(privateKey)) {
    throw new TlsFilesError(`${labels.key} ${files.keyFile} does not match the certificate in ${labels.cert} ${files.certFile}`);
  }
  return { cert, key };
}

/**
 * The live port's TLS files from the flags or from the route file's `tls:` (paths already resolved
 * against the route file), never both: two places naming the certificate would leave one of them
 * silently ignored, so that is refused (TlsFilesError) and the operator keeps one.
 */
export function chooseTlsFiles(
  flags: { tlsCert?: string; tlsKey?: string },
  routeFile?: { file: string; tls?: { certFile: string; keyFile: string } },
): TlsFiles | undefined {
  const fromFile = routeFile?.tls;
  if (flags.tlsCert !== undefined && fromFile) {
    throw new TlsFilesError(`TLS is set twice: by --tls-cert/--tls-key and by tls: in ${routeFile!.file}; keep one of them`);
  }
  if (flags.tlsCert !== undefined) return { certFile: flags.tlsCert, keyFile: flags.tlsKey! };
  if (!fromFile) return undefined;
  return { ...fromFile, labels: { cert: `${routeFile!.file}: tls.cert`, key: `${routeFile!.file}: tls.key` } };
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
