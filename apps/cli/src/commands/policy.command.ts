import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse, stringify } from 'yaml';
import type { StoredPolicy } from '@switchyard/deploy';
import { parseCommandArgs, SERVER_OPTIONS, serverFrom } from '../cli-arguments';
import { EXIT_OK, UsageError, type CliIo } from '../cli-io';
import { serverError } from '../command-errors';

export const POLICY_USAGE = `switchyard policy get SERVICE [--json]
switchyard policy set SERVICE --file policy.yml [--if-match VERSION]
switchyard policy accept SERVICE --release RELEASE   [each: --server URL --token T]
  The server's release policy of SERVICE: environments (namespace, approval: required|none, fourEyes:
  true|false), and the image repositories releases may come from. A pipeline file may ask for more, never
  less. A service's first release waits until an admin sets a policy or accepts the one it proposes.
  set and accept need scope admin; get prints YAML that set takes back.`;

export async function policyCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('policy', args, {
    ...SERVER_OPTIONS,
    file: { type: 'string', short: 'f' },
    'if-match': { type: 'string' },
    release: { type: 'string' },
    json: { type: 'boolean' },
  });
  const [action, service, ...rest] = positionals;
  if (!['get', 'set', 'accept'].includes(action ?? '') || !service || rest.length) throw new UsageError('policy: give get, set or accept, then one service');
  if (action === 'set' && !values.file) throw new UsageError('policy set: --file is required (YAML or JSON, as `policy get` prints it)');
  if (action === 'accept' && !values.release) throw new UsageError('policy accept: --release is required (the release whose pipeline proposes the policy)');
  const ifMatch = values['if-match'] === undefined ? undefined : Number(values['if-match']);
  if (ifMatch !== undefined && !(Number.isInteger(ifMatch) && ifMatch > 0)) throw new UsageError('--if-match must be a policy version (a positive integer)');
  const document = action === 'set' ? readPolicyFile(resolve(io.cwd, values.file as string)) : undefined;
  const client = serverFrom(values, io, true);
  if (!client) return EXIT_OK;
  let stored: StoredPolicy;
  try {
    if (action === 'get') stored = await client.getPolicy(service);
    else if (action === 'set') stored = await client.putPolicy(service, document, ifMatch);
    else stored = await client.acceptPolicy(service, values.release as string);
  } catch (error) {
    throw serverError(error, client, `could not ${action} the release policy of ${service}`);
  }
  if (values.json) io.stdout.write(`${JSON.stringify(stored, null, 2)}\n`);
  else
    io.stdout.write(
      `# release policy of ${stored.service}: version ${stored.version}, by ${stored.updatedBy} at ${stored.updatedAt}\n${stringify(stored.policy)}`,
    );
  return EXIT_OK;
}

function readPolicyFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`policy set: cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  try {
    return parse(text) as unknown;
  } catch (error) {
    throw new UsageError(`policy set: ${file} is not valid YAML: ${(error as Error).message.split('\n')[0]}`);
  }
}
