export type BuilderName = 'buildah' | 'docker';
export const BUILDER_NAMES: readonly BuilderName[] = ['buildah', 'docker'];

export interface BuildRequest {
  contextDir: string;
  /** Absolute path of the Containerfile. */
  containerfile: string;
  args: Record<string, string>;
  target?: string;
  /** Local name given to the image (`repository:tag`). */
  reference: string;
  onLine?: (line: string) => void;
}

export interface BuiltImage {
  reference: string;
  /** The image id (digest of its config): stable across re-encodings. */
  imageId: string;
  /** Digest of the manifest in local storage; the registry's may differ after a push re-encodes it. */
  localDigest?: string;
}

export interface RegistryCredentials {
  username: string;
  password: string;
}

export interface PushRequest {
  /** Local image to push. */
  image: string;
  /** `host[:port]/path:tag`. */
  destination: string;
  credentials?: RegistryCredentials;
  /** Plain HTTP or unverified TLS. */
  insecure: boolean;
  onLine?: (line: string) => void;
}

export interface PushedImage {
  reference: string;
  /** The manifest digest the registry stores (what `Docker-Content-Digest` answers). */
  digest: string;
}

export interface RunInImageRequest {
  image: string;
  command: string;
  /** File to read back after the command, relative to the image's working directory. */
  resultsPath: string;
  timeoutMs?: number;
  onLine?: (line: string) => void;
}

export interface RunInImageResult {
  exitCode: number | null;
  timedOut: boolean;
  /** Content of `resultsPath`, undefined when the command did not write it. */
  results?: string;
}

/** What the release pipeline needs from buildah or docker. */
export interface ImageBuilder {
  readonly name: BuilderName;
  build(request: BuildRequest): Promise<BuiltImage>;
  push(request: PushRequest): Promise<PushedImage>;
  runInImage(request: RunInImageRequest): Promise<RunInImageResult>;
}

/** A builder command failed; the message says which and how, the log tail has the rest. */
export class BuilderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BuilderError';
  }
}

export function describeExit(tool: string, result: { code: number | null; signal: NodeJS.Signals | null; timedOut: boolean; spawnError?: Error }): string {
  if (result.spawnError) return `${tool} could not start: ${result.spawnError.message}`;
  if (result.timedOut) return `${tool} timed out`;
  if (result.signal) return `${tool} was killed by ${result.signal}`;
  return `${tool} exited with code ${result.code}`;
}

/**
 * The command line as the stage log shows it. Build-argument values are masked: `--build-arg`
 * from the command line may carry a token, and the log tail is uploaded to the server.
 */
export function displayCommand(tool: string, argv: string[]): string {
  return `$ ${tool} ${argv.map((arg, i) => (argv[i - 1] === '--build-arg' ? arg.replace(/=.*$/s, '=***') : arg)).join(' ')}`;
}
