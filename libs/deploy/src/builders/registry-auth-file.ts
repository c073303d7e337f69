import { registryHost } from './image-reference';
import type { RegistryCredentials } from './image-builder';

/** A containers-auth.json / Docker config.json holding one registry's credentials. */
export function registryAuthFile(destination: string, credentials: RegistryCredentials): string {
  const auth = Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64');
  return JSON.stringify({ auths: { [registryHost(destination)]: { auth } } });
}
