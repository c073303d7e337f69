import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { runCli } from '../../../apps/cli/src/switchyard-cli';
import { ApiClient } from '../../support/api-client';
import { startTestServer, type TestServer } from '../../support/test-server';

/** Every file under `dir`, by relative path. */
function readTree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (at: string) => {
    for (const entry of readdirSync(at, { withFileTypes: true })) {
      const path = join(at, entry.name);
      if (entry.isDirectory()) walk(path);
      else out[relative(dir, path)] = readFileSync(path, 'utf8');
    }
  };
  walk(dir);
  return out;
}

async function cli(server: TestServer, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io = {
    // The server and token come from the environment, as in a CI job.
    env: { SWITCHYARD_URL: server.url, SWITCHYARD_TOKEN: server.adminToken },
    cwd: process.cwd(),
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t) },
  };
  const code = await runCli(['flags', ...args], io);
  return { code, stdout, stderr };
}

const CONFIRM = { 'x-switchyard-confirm': 'production' };

/** A flag set with what makes copying hard: rollouts (salts), segments using segments, an extra environment, an archived flag. */
async function seed(api: ApiClient): Promise<void> {
  const ok = (res: { status: number; body: unknown }, what: string) => {
    if (res.status >= 300) throw new Error(`${what}: ${res.status} ${JSON.stringify(res.body)}`);
  };
  ok(await api.post('/api/v1/environments', { key: 'qa', name: 'QA', requiresComment: false }), 'environment');
  ok(
    await api.post('/api/v1/segments', { key: 'staff', name: 'Staff', conditions: [{ attribute: 'email', operator: 'ends_with', values: ['@example.com'] }] }),
    'segment',
  );
  ok(
    await api.post('/api/v1/segments', {
      key: 'beta-staff',
      description: 'Staff who opted in',
      conditions: [
        { attribute: 'key', operator: 'in_segment', values: ['staff'] },
        { attribute: 'beta', operator: 'in', values: ['yes'], caseInsensitive: true },
      ],
    }),
    'segment',
  );
  ok(
    await api.post('/api/v1/flags', {
      key: 'new-checkout',
      name: 'New checkout',
      description: 'The one-page checkout',
      tags: ['payments', 'q4'],
      owner: 'team-payments',
      type: 'boolean',
      variantDescriptions: { on: 'one page', off: 'three steps' },
    }),
    'flag',
  );
  ok(
    await api.patch(
      '/api/v1/flags/new-checkout/environments/production',
      {
        enabled: true,
        rules: [
          { description: 'staff first', conditions: [{ attribute: 'key', operator: 'in_segment', values: ['beta-staff'] }], serve: { variant: 'on' } },
          {
            conditions: [{ attribute: 'country', operator: 'in', values: ['NL', 'DE'] }],
            serve: {
              rollout: [
                { variant: 'on', weight: 25000 },
                { variant: 'off', weight: 75000 },
              ],
              bucketBy: 'accountId',
            },
          },
        ],
        defaultServe: {
          rollout: [
            { variant: 'on', weight: 10000 },
            { variant: 'off', weight: 90000 },
          ],
        },
      },
      CONFIRM,
    ),
    'targeting',
  );
  ok(await api.patch('/api/v1/flags/new-checkout/environments/qa', { enabled: true }), 'qa');
  ok(await api.post('/api/v1/flags', { key: 'banner', type: 'string', variants: { plain: 'Hello', festive: 'Happy holidays: 20 % off!' } }), 'flag');
  ok(await api.patch('/api/v1/flags/banner/environments/staging', { enabled: true, defaultServe: { variant: 'festive' } }), 'staging');
  ok(
    await api.post('/api/v1/flags', { key: 'limits', type: 'object', variants: { small: { rows: 10, export: false }, large: { rows: 1000, export: true } } }),
    'flag',
  );
  // A flag that depends on another: created after it on the fresh installation.
  ok(
    await api.post('/api/v1/flags', {
      key: 'checkout-banner',
      type: 'boolean',
      environments: { staging: { enabled: true, prerequisites: [{ flag: 'new-checkout', variants: ['on'] }] } },
    }),
    'prerequisite',
  );
  ok(await api.post('/api/v1/flags', { key: 'retired', type: 'boolean' }), 'flag');
  ok(await api.delete('/api/v1/flags/retired', CONFIRM), 'archive');
}

describe('flags as code: switchyard flags export / apply', () => {
  const work = mkdtempSync(join(tmpdir(), 'switchyard-flags-as-code-'));
  const fromA = join(work, 'a');
  let source: TestServer | undefined;
  let target: TestServer | undefined;
  let targetApi: ApiClient;

  afterAll(async () => {
    await source?.close();
    await target?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('exports one file per flag and segment, the same bytes every time, with salts and without installation-specific fields', async () => {
    source = await startTestServer({ redis: 'none' });
    try {
      await exportsTheSource(source);
    } finally {
      // Embedded PGlite holds one database per process: the fresh installation starts after this one stops.
      await source.close();
      source = undefined;
    }
  });

  async function exportsTheSource(source: TestServer): Promise<void> {
    await seed(new ApiClient(source.url, source.adminToken));

    const exported = await cli(source, 'export', '--dir', fromA);
    expect(exported).toMatchObject({ code: 0, stderr: '' });
    expect(exported.stdout).toContain('exported 4 flags, 2 segments and 4 environments');
    const files = readTree(fromA);
    expect(Object.keys(files).sort()).toEqual([
      'environments.yaml',
      'flags/banner.yaml',
      'flags/checkout-banner.yaml',
      'flags/limits.yaml',
      'flags/new-checkout.yaml',
      'segments/beta-staff.yaml',
      'segments/staff.yaml',
    ]);
    const checkout = files['flags/new-checkout.yaml'];
    expect(checkout).toMatch(/^key: new-checkout\nname: New checkout\n/);
    expect(checkout.match(/salt: \S+/g)).toHaveLength(2);
    for (const text of Object.values(files)) expect(text).not.toMatch(/^\s*(version|updatedAt|createdAt|archived):/m);
    expect(files['environments.yaml']).toContain('- key: qa\n  name: QA\n');
    // A field of the targeting the CLI has no code for is exported as the API returns it.
    expect(files['flags/checkout-banner.yaml']).toMatch(/ {4}prerequisites:\n {6}- flag: new-checkout\n {8}variants:\n {10}- "on"\n/);

    const again = join(work, 'a-again');
    expect((await cli(source, 'export', '--dir', again)).code).toBe(0);
    expect(readTree(again)).toEqual(files);

    const check = await cli(source, 'apply', '--dir', fromA, '--check');
    expect(check).toMatchObject({ code: 0, stderr: '' });
    expect(check.stdout).toContain('no changes');
  }

  it('applies the files to a fresh installation, and exporting it gives the same files', async () => {
    target = await startTestServer({ redis: 'none' });
    targetApi = new ApiClient(target.url, target.adminToken);

    const check = await cli(target, 'apply', '--dir', fromA, '--check');
    expect(check.code).toBe(1);
    expect(check.stderr).toContain('the server differs');
    expect(check.stdout).toContain('+ create environment qa');
    expect(check.stdout).toContain('+ create segment beta-staff');
    // Referenced segments go first.
    expect(check.stdout.indexOf('create segment staff')).toBeLessThan(check.stdout.indexOf('create segment beta-staff'));
    expect(check.stdout).toMatch(/\+ create flag new-checkout\n\s+targeting in production\n\s+targeting in qa/);
    // Created after the flag its prerequisite names, though its key sorts first.
    expect(check.stdout.indexOf('create flag new-checkout')).toBeLessThan(check.stdout.indexOf('create flag checkout-banner'));

    const dry = await cli(target, 'apply', '--dir', fromA, '--dry-run');
    expect(dry.code).toBe(0);
    expect((await targetApi.get('/api/v1/flags')).body.items).toEqual([]);

    const unconfirmed = await cli(target, 'apply', '--dir', fromA);
    expect(unconfirmed.code).toBe(1);
    expect(unconfirmed.stderr).toContain('pass --confirm production; nothing was applied');
    expect((await targetApi.get('/api/v1/segments')).body.items).toEqual([]);

    const applied = await cli(target, 'apply', '--dir', fromA, '--confirm', 'production', '--comment', 'copied from staging install');
    expect(applied.stderr).toBe('');
    expect(applied.code).toBe(0);
    expect(applied.stdout).toContain('created flag new-checkout');

    const fromB = join(work, 'b');
    expect((await cli(target, 'export', '--dir', fromB)).code).toBe(0);
    expect(readTree(fromB)).toEqual(readTree(fromA));
    expect((await cli(target, 'apply', '--dir', fromA, '--check')).code).toBe(0);

    // Written through the admin API: audited with the actor and the comment.
    const audit = await targetApi.get('/api/v1/changes?environment=production&limit=50');
    expect(JSON.stringify(audit.body)).toContain('copied from staging install');
  });

  it('plans per environment, lists what is not in git, and archives it only with --prune', async () => {
    const dir = join(work, 'edited');
    cpSync(fromA, dir, { recursive: true });
    const path = join(dir, 'flags/new-checkout.yaml');
    writeFileSync(path, readFileSync(path, 'utf8').replace('weight: 10000', 'weight: 20000').replace('weight: 90000', 'weight: 80000'));
    rmSync(join(dir, 'flags/limits.yaml'));

    const check = await cli(target!, 'apply', '--dir', dir, '--check');
    expect(check.code).toBe(1);
    expect(check.stdout).toContain('~ update flag new-checkout in production');
    expect(check.stdout).toContain('defaultServe.rollout[0].weight: 10000 → 20000');
    expect(check.stdout).toContain('! not in git: flag limits');
    expect(check.stdout).not.toContain('new-checkout in qa');

    const kept = await cli(target!, 'apply', '--dir', dir, '--confirm', 'production');
    expect(kept.code).toBe(0);
    expect(kept.stdout).toContain('updated flag new-checkout in production');
    const flag = (await targetApi.get('/api/v1/flags/new-checkout')).body;
    expect(flag.environments.production.defaultServe.rollout[0].weight).toBe(20000);
    // The salt is the file's: users stay in their buckets.
    expect(readFileSync(path, 'utf8')).toContain(`salt: ${flag.environments.production.defaultServe.salt}`);
    expect((await targetApi.get('/api/v1/flags/limits')).body.archived).toBe(false);

    const pruned = await cli(target!, 'apply', '--dir', dir, '--prune', '--confirm', 'production');
    expect(pruned.code).toBe(0);
    expect(pruned.stdout).toContain('- delete flag limits');
    expect((await targetApi.get('/api/v1/flags/limits')).body.archived).toBe(true);
    expect((await cli(target!, 'apply', '--dir', dir, '--check')).code).toBe(0);
  });

  it('reports a write that an environment holds for approval as pending, with the change request id', async () => {
    expect((await targetApi.patch('/api/v1/environments/qa', { requireApproval: true })).status).toBe(200);
    const dir = join(work, 'approval');
    expect((await cli(target!, 'export', '--dir', dir)).code).toBe(0);
    const path = join(dir, 'flags/new-checkout.yaml');
    writeFileSync(path, readFileSync(path, 'utf8').replace(/( {2}qa:\n {4}enabled:) true/, '$1 false'));

    const applied = await cli(target!, 'apply', '--dir', dir);
    expect(applied.stderr).toBe('');
    expect(applied.code).toBe(0);
    const id = /^pending approval: (\S+) \(update flag new-checkout in qa\)$/m.exec(applied.stdout)?.[1];
    expect(id).toBeDefined();
    expect(applied.stdout).toContain('applied 0 changes; 1 pending approval');
    expect((await targetApi.get('/api/v1/flags/new-checkout')).body.environments.qa.enabled).toBe(true);
    // Until it is approved, git and the server differ.
    expect((await cli(target!, 'apply', '--dir', dir, '--check')).code).toBe(1);
  });

  describe('bad input: file and line, exit 2, nothing applied', () => {
    const cases: Array<[string, string, RegExp]> = [
      [
        'an unknown field',
        'key: typo\ntype: boolean\nenvironments:\n  development:\n    enabled: true\n    enabeld: false\n',
        /^flags\/typo\.yaml:6: environments\.development\.enabeld: is not a known field$/m,
      ],
      ['a duplicate key', 'key: typo\ntype: boolean\nname: One\nname: Two\n', /^flags\/typo\.yaml:4: duplicate key: each field may appear once per mapping$/m],
      [
        'a type error',
        'key: typo\ntype: boolean\nenvironments:\n  staging:\n    enabled: "yes"\n',
        /^flags\/typo\.yaml:5: environments\.staging\.enabled: must be a boolean$/m,
      ],
    ];
    it.each(cases)('%s', async (_what, text, message) => {
      const dir = join(work, `bad-${_what.replace(/\W+/g, '-')}`);
      cpSync(fromA, dir, { recursive: true });
      // A valid change beside the bad file: it must not be applied either.
      writeFileSync(join(dir, 'flags/fine.yaml'), 'key: fine\ntype: boolean\n');
      writeFileSync(join(dir, 'flags/typo.yaml'), text);
      const before = (await targetApi.get('/api/v1/flags')).body;

      const result = await cli(target!, 'apply', '--dir', dir, '--confirm', 'production');
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(message);
      expect(result.stderr).toContain('is invalid (1 problem); nothing was applied');
      expect(result.stdout).toBe('');
      expect((await targetApi.get('/api/v1/flags')).body).toEqual(before);
    });
  });
});
