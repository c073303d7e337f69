import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { json } from '../../support/http';
import { startTestServer, type TestServer } from '../../support/test-server';
import { EXAMPLE_DIR, REPO_ROOT, switchyard } from './release-workspace';

const GOOD = `service: market-data
build:
  context: .
  containerfile: Containerfile
test:
  command: npm test
  results: reports/junit.xml
publish:
  repository: 127.0.0.1:5000/team/market-data
`;

/** Ten-plus ways to get switchyard.yml wrong, each with the one line the CLI must print. */
const INVALID: Array<[string, string, string]> = [
  ['results of the wrong type', GOOD.replace('results: reports/junit.xml', 'results: 7'), 'switchyard.yml:7: test.results: must be a string'],
  ['a missing test command', GOOD.replace('  command: npm test\n', ''), 'switchyard.yml:5: test.command: is required'],
  ['a missing publish section', GOOD.replace(/publish:\n.*\n/, ''), 'switchyard.yml:1: publish: is required'],
  [
    'a misspelt field',
    GOOD.replace('  containerfile:', '  dockerfile:'),
    'switchyard.yml:4: build.dockerfile: is not a known field (expected one of: context, containerfile, args, target)',
  ],
  ['a misspelt section', `${GOOD}deplyo: {}\n`, 'switchyard.yml:10: deplyo: is not a known field (did you mean "deploy"?)'],
  [
    'an upper-case service name',
    GOOD.replace('service: market-data', 'service: MarketData'),
    "switchyard.yml:1: service: must be a DNS label: 1-63 lower-case letters, digits and '-', starting and ending with a letter or digit",
  ],
  [
    'a repository with a scheme',
    GOOD.replace('repository: 127.0.0.1:5000', 'repository: http://127.0.0.1:5000'),
    'switchyard.yml:9: publish.repository: must be an image repository such as registry.example.com:5000/team/service (lower case, no scheme, no tag)',
  ],
  ['an empty command', GOOD.replace('command: npm test', "command: ''"), 'switchyard.yml:6: test.command: must not be empty'],
  [
    'a results path outside the workspace',
    GOOD.replace('results: reports/junit.xml', 'results: /tmp/junit.xml'),
    "switchyard.yml:7: test.results: must be a path inside the workspace (relative, without '..')",
  ],
  ['a section written as a string', GOOD.replace(/build:\n.*\n.*\n/, 'build: Containerfile\n'), 'switchyard.yml:2: build: must be a mapping'],
  [
    'a duplicate key',
    GOOD.replace('  command: npm test\n', '  command: npm test\n  command: make test\n'),
    'switchyard.yml:7: duplicate key: each field may appear once per mapping',
  ],
  [
    'an unclosed quote',
    GOOD.replace('command: npm test', 'command: "npm test'),
    'switchyard.yml:6: invalid YAML: a double-quoted string starting on this line is never closed',
  ],
  [
    'inconsistent indentation',
    GOOD.replace('  results: reports', ' results: reports'),
    'switchyard.yml:7: invalid YAML: All mapping items must start at the same column',
  ],
  [
    'a non-boolean inImage',
    GOOD.replace('  results: reports/junit.xml', '  results: reports/junit.xml\n  inImage: "yes"'),
    'switchyard.yml:8: test.inImage: must be true or false',
  ],
  [
    'a missing Containerfile',
    GOOD.replace('containerfile: Containerfile', 'containerfile: Dockerfile.prod'),
    'switchyard.yml:4: build.containerfile: file Dockerfile.prod does not exist in the build context .',
  ],
  ['an empty file', '', 'switchyard.yml:1: the file is empty; expected a mapping with service, build, test and publish'],
];

describe('invalid pipeline files and bad usage exit 2 with a message that says where', () => {
  let server: TestServer;
  let dir: string;
  beforeAll(async () => {
    server = await startTestServer({ redis: 'none' });
    dir = mkdtempSync(join(tmpdir(), 'switchyard-invalid-'));
    writeFileSync(join(dir, 'Containerfile'), 'FROM scratch\n');
  });
  afterAll(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it.each(INVALID)('%s', async (_kind, text, message) => {
    writeFileSync(join(dir, 'switchyard.yml'), text);
    const run = await switchyard(['release', '--dir', dir, '--server', server.url, '--token', server.adminToken, '--tag', 'v1']);
    expect(run.code).toBe(2);
    expect(run.stderr.split('\n')).toEqual([message, 'switchyard: switchyard.yml is invalid (1 problem); nothing was run', '']);
    expect(run.stdout).toBe('');
  });

  it('records nothing on the server for an invalid file', async () => {
    const page = await json(await fetch(`${server.url}/api/v1/releases`, { headers: { authorization: `Bearer ${server.adminToken}` } }));
    expect(page.items).toEqual([]);
  });

  it.each([
    [['deploy'], /^switchyard: unknown command "deploy"/],
    [['release', '--bogus'], /^switchyard: release: Unknown option '--bogus'/],
    [['release', '--dir', EXAMPLE_DIR, '--builder', 'podman'], /^switchyard: --builder must be buildah or docker \(got "podman"\)\n$/],
    [['release', '--dir', EXAMPLE_DIR, '--build-arg', 'NOEQUALS'], /^switchyard: --build-arg must be NAME=VALUE \(got "NOEQUALS"\)\n$/],
    [['release', '--dir', EXAMPLE_DIR, '--tag=-bad'], /^switchyard: --tag must be a valid image tag \(got "-bad"\)\n$/],
    [['release', '--dir', EXAMPLE_DIR, '--git-sha', 'xyz'], /^switchyard: --git-sha must be a hexadecimal commit id \(got "xyz"\)\n$/],
    [['release', '--dir', EXAMPLE_DIR, '--tag', 'v1', '--server', 'ftp://example'], /^switchyard: --server must be an http:\/\/ or https:\/\/ URL/],
    [['status'], /^switchyard: status: give exactly one release id\n$/],
    [['status', 'abc'], /^switchyard: no server: pass --server URL or set SWITCHYARD_URL\n$/],
    [['logs', 'abc', '--server', 'http://127.0.0.1:1'], /^switchyard: logs: --stage is required \(build, test, publish\)\n$/],
    [['releases', '--limit', '1000', '--server', 'http://127.0.0.1:1'], /^switchyard: --limit must be an integer from 1 to 100\n$/],
  ])('%j', async (args, message) => {
    const run = await switchyard(args);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
  });

  it('needs a tag source: CI variables, git, or --tag', async () => {
    const run = await switchyard(['release', '--dir', dir], { GIT_DIR: join(dir, 'no-such-git-dir') });
    // An invalid file is reported first; with a valid one, the missing tag is.
    writeFileSync(join(dir, 'switchyard.yml'), GOOD);
    const noTag = await switchyard(['release', '--dir', dir], { GIT_DIR: join(dir, 'no-such-git-dir') });
    expect(run.code).toBe(2);
    expect(noTag.code).toBe(2);
    expect(noTag.stderr).toContain(
      'switchyard: cannot compute the image tag: {sha} is unknown — pass --git-sha (or GIT_COMMIT, GITHUB_SHA, a git checkout); or pass --tag',
    );
  });

  it('names a missing builder and half-set registry credentials', async () => {
    writeFileSync(join(dir, 'switchyard.yml'), GOOD);
    const half = await switchyard(['release', '--dir', dir, '--tag', 'v1'], { REGISTRY_USERNAME: 'ci' });
    expect(half).toMatchObject({ code: 2, stderr: 'switchyard: REGISTRY_USERNAME and REGISTRY_PASSWORD must be set together\n' });
    const docker = await switchyard(['release', '--dir', dir, '--tag', 'v1', '--builder', 'docker'], { PATH: '/nonexistent' });
    expect(docker).toMatchObject({ code: 2, stderr: 'switchyard: docker is not usable: the docker CLI is missing or its daemon is not reachable\n' });
  });

  it('the compiled binary validates the example, and exits 2 naming the line for a broken copy', () => {
    // Compiled into a private directory: rebuilding the shared dist/ could pull it from under
    // suites that run the server from it.
    const out = mkdtempSync(join(tmpdir(), 'switchyard-cli-build-'));
    try {
      const tsc = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json', '--outDir', out], {
        cwd: REPO_ROOT,
        encoding: 'utf8',
        timeout: 120_000,
      });
      expect(tsc.stdout).toBe('');
      const alias = spawnSync(process.execPath, ['node_modules/tsc-alias/dist/bin/index.js', '-p', 'tsconfig.build.json', '--outDir', out], {
        cwd: REPO_ROOT,
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(alias.status).toBe(0);
      const cli = join(out, 'apps/cli/src/main.js');
      // Compiled outside the repository, so bare imports resolve through NODE_PATH to its node_modules.
      const env = { ...process.env, CI: 'true', NODE_PATH: join(REPO_ROOT, 'node_modules') };

      const valid = spawnSync(process.execPath, [cli, 'validate', '--dir', EXAMPLE_DIR], { encoding: 'utf8', env });
      expect({ status: valid.status, stdout: valid.stdout }).toEqual({
        status: 0,
        stdout: `${join(EXAMPLE_DIR, 'switchyard.yml')}: ok (service market-data)\n`,
      });

      writeFileSync(join(dir, 'switchyard.yml'), GOOD.replace('results: reports/junit.xml', 'results: 7'));
      const invalid = spawnSync(process.execPath, [cli, 'validate', '--dir', dir], { encoding: 'utf8', env });
      expect(invalid.status).toBe(2);
      expect(invalid.stderr).toBe('switchyard.yml:7: test.results: must be a string\nswitchyard: switchyard.yml is invalid (1 problem); nothing was run\n');
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 180_000);
});
