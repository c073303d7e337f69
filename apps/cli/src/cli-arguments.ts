import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError, type CliIo } from './cli-io';
import { DeployApiClient } from './deploy-api.client';

type Options = NonNullable<ParseArgsConfig['options']>;

export const SERVER_OPTIONS = {
  server: { type: 'string' },
  token: { type: 'string' },
} as const satisfies Options;

/** node:util parseArgs, with its errors turned into usage errors (exit 2). */
export function parseCommandArgs<T extends Options>(command: string, args: string[], options: T) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    // Checked by shape, not instanceof: node:util's errors may come from another realm (test sandboxes).
    const text = typeof (error as { message?: unknown }).message === 'string' ? (error as { message: string }).message : String(error);
    const message = text.replace(/\. To specify a positional argument.*$/s, '');
    throw new UsageError(`${command}: ${message}`);
  }
}

/** --server/--token, else SWITCHYARD_URL/SWITCHYARD_TOKEN (prefer the variable: argv shows in ps). */
export function serverFrom(values: { server?: string; token?: string }, io: CliIo, required: boolean): DeployApiClient | undefined {
  const url = values.server ?? (io.env.SWITCHYARD_URL || undefined);
  const token = values.token ?? (io.env.SWITCHYARD_TOKEN || undefined);
  if (!url) {
    if (required) throw new UsageError('no server: pass --server URL or set SWITCHYARD_URL');
    return undefined;
  }
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('protocol');
  } catch {
    throw new UsageError(`--server must be an http:// or https:// URL (got "${url}")`);
  }
  return new DeployApiClient(url, token);
}
