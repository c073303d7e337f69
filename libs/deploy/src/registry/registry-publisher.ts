import type { ImageBuilder, PushedImage, RegistryCredentials } from '../builders/image-builder';
import type { PublishSpec } from '../pipeline/pipeline-spec';
import { isLoopbackRegistry } from '../builders/image-reference';

export class RegistryCredentialsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RegistryCredentialsError';
  }
}

/**
 * REGISTRY_USERNAME and REGISTRY_PASSWORD together, or neither (then the builder's own auth file
 * — `buildah login`/`docker login`, REGISTRY_AUTH_FILE — applies). One without the other is a mistake.
 */
export function registryCredentialsFrom(env: NodeJS.ProcessEnv): RegistryCredentials | undefined {
  const username = env.REGISTRY_USERNAME || undefined;
  const password = env.REGISTRY_PASSWORD || undefined;
  if (!username && !password) return undefined;
  if (!username || !password) throw new RegistryCredentialsError('REGISTRY_USERNAME and REGISTRY_PASSWORD must be set together');
  return { username, password };
}

/** Pushes a built image to the pipeline's repository under the release's tag. */
export class RegistryPublisher {
  constructor(private readonly builder: ImageBuilder) {}

  destination(publish: PublishSpec, tag: string): string {
    return `${publish.repository}:${tag}`;
  }

  async publish(request: {
    image: string;
    publish: PublishSpec;
    tag: string;
    credentials?: RegistryCredentials;
    onLine?: (line: string) => void;
  }): Promise<PushedImage> {
    return this.builder.push({
      image: request.image,
      destination: this.destination(request.publish, request.tag),
      credentials: request.credentials,
      insecure: request.publish.insecure || isLoopbackRegistry(request.publish.repository),
      onLine: request.onLine,
    });
  }
}
