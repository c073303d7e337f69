import { json } from '../../support/http';
import { requireTool } from '../../support/system-tool';
import { startTestServer, type TestServer } from '../../support/test-server';
import { PrivateRegistry, REGISTRY_USER } from './private-registry';
import { buildahStorage, exampleWorkspace, scratchWorkspace, shellImageWorkspace, switchyard } from './release-workspace';

const ready = requireTool('buildah', 'buildah') && requireTool('docker-registry', 'docker-registry');
const SHA = '4f2a9c1e0d6b8a7f3e2d1c0b9a8f7e6d5c4b3a29';

(ready ? describe : describe.skip)('switchyard release: buildah build, tests, push to a real registry', () => {
  let server: TestServer;
  let registry: PrivateRegistry;
  let ci: string;
  let storage: ReturnType<typeof buildahStorage>;

  const api = async (path: string) => json(await fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${server.adminToken}` } }));
  const releaseOf = async (service: string) => {
    const page = await api(`/api/v1/services/${service}/releases`);
    expect(page.items).toHaveLength(1);
    return api(`/api/v1/releases/${page.items[0].id}`);
  };
  const serverArgs = () => ['--server', server.url, '--token', ci];

  beforeAll(async () => {
    [server, registry] = await Promise.all([startTestServer({ redis: 'none' }), PrivateRegistry.start()]);
    const created = await fetch(`${server.url}/api/v1/tokens`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'ci-jenkins', scopes: ['deploy'] }),
    });
    ci = (await json(created)).secret;
    storage = buildahStorage();
  });
  afterAll(async () => {
    await Promise.all([server?.close(), registry?.stop()]);
    storage?.dispose();
  });

  it('builds, tests and publishes the market-data example; the registry serves the digest the server recorded', async () => {
    const workspace = exampleWorkspace(`${registry.host}/team/market-data`);
    try {
      const run = await switchyard([
        'release',
        '--dir',
        workspace.dir,
        ...serverArgs(),
        '--build-arg',
        'BASE_IMAGE=scratch',
        '--git-sha',
        SHA,
        '--branch',
        'feature/quotes',
        '--build-number',
        '12',
        ...storage.args,
      ]);
      expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
      // Plain output under CI=true: every stage and its lines, no control characters.
      expect(run.stdout).not.toContain('\x1b[');
      expect(run.stdout).toMatch(/^\[build\] started$/m);
      expect(run.stdout).toMatch(/^\[build\] STEP 1\/9: FROM scratch$/m);
      // Build-argument values may be secrets; the uploaded log never shows them.
      expect(run.stdout).toContain('--build-arg NODE_ENV=*** --build-arg BASE_IMAGE=***');
      expect(run.stdout).toMatch(/^\[test\] succeeded in \d+\.\ds — 4 tests: 4 passed$/m);
      expect(run.stdout).toMatch(/^\[publish\] succeeded in \d+\.\ds — sha256:[0-9a-f]{64}$/m);

      const release = await releaseOf('market-data');
      expect(release).toMatchObject({
        status: 'succeeded',
        version: 'feature-quotes.12',
        gitSha: SHA,
        branch: 'feature/quotes',
        buildNumber: '12',
        createdBy: 'token:ci-jenkins',
        imageReference: `${registry.host}/team/market-data:feature-quotes.12`,
      });
      expect(run.stdout).toContain(`release succeeded: ${registry.host}/team/market-data:feature-quotes.12@${release.imageDigest}`);

      // The registry's own answer for the tag is the digest the server recorded.
      const manifest = await registry.manifest('team/market-data', 'feature-quotes.12');
      expect(manifest.status).toBe(200);
      expect(manifest.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(manifest.digest).toBe(release.imageDigest);
      expect(await registry.tags('team/market-data')).toEqual(['feature-quotes.12']);

      const stages = Object.fromEntries(release.stages.map((s: any) => [s.name, s]));
      expect(Object.values(stages).map((s: any) => s.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
      expect(stages.build.artifacts).toMatchObject({ builder: 'buildah', imageId: expect.stringMatching(/^sha256:[0-9a-f]{64}$/) });
      expect(stages.test.testSummary).toMatchObject({ tests: 4, passed: 4, failures: 0, errors: 0, failedCases: [] });
      expect(stages.test.logTail).toContain('GET /ping answers ok');
      expect(stages.publish.artifacts.imageDigest).toBe(release.imageDigest);

      // The read commands show the same record.
      const status = await switchyard(['status', release.id, ...serverArgs()]);
      expect(status.code).toBe(0);
      expect(status.stdout).toContain(`image ${registry.host}/team/market-data:feature-quotes.12@${release.imageDigest}`);
      expect(status.stdout).toMatch(/test {5}succeeded +\d+\.\ds +4 tests: 4 passed, 0 failed, 0 skipped/);
      const logs = await switchyard(['logs', release.id, '--stage', 'test', ...serverArgs()]);
      expect(logs.stdout).toContain('✔ GET /quotes/:symbol returns a stable quote');
      const list = await switchyard(['releases', '--service', 'market-data', ...serverArgs()]);
      expect(list.stdout).toMatch(new RegExp(`${release.id} +market-data +feature-quotes\\.12 +succeeded +4f2a9c1e0d6b`));
    } finally {
      workspace.dispose();
    }
  }, 120_000);

  it('stops at a failing test: release failed at test, failure names recorded, nothing published', async () => {
    const workspace = scratchWorkspace({ service: 'failing-tests', repository: `${registry.host}/team/failing-tests`, test: { kind: 'fail' } });
    try {
      const run = await switchyard(['release', '--dir', workspace.dir, ...serverArgs(), '--git-sha', SHA, ...storage.args]);
      expect(run.code).toBe(1);
      expect(run.stderr).toBe('switchyard: release failed at test: 1 of 3 tests failed: rejects lower case\n');
      expect(run.stdout).toMatch(/^\[test\] FAIL quotes rejects lower case$/m);
      expect(run.stdout).toMatch(/^\[test\] {3}✗ fixture › quotes › rejects lower case: expected 400, got 200$/m);
      expect(run.stdout).not.toContain('[publish]');

      const release = await releaseOf('failing-tests');
      expect(release).toMatchObject({ status: 'failed', failedStage: 'test', imageDigest: null, version: SHA });
      const [build, test, publish] = release.stages;
      expect([build.status, test.status, publish.status]).toEqual(['succeeded', 'failed', 'pending']);
      expect(test.error).toBe('1 of 3 tests failed: rejects lower case');
      expect(test.testSummary).toMatchObject({ tests: 3, passed: 2, failures: 1 });
      expect(test.testSummary.failedCases).toEqual([
        {
          name: 'rejects lower case',
          classname: 'quotes',
          suite: 'fixture',
          kind: 'failure',
          message: 'expected 400, got 200',
          type: 'AssertionError',
          detail: 'at quotes.test.js:12',
        },
      ]);
      expect(await registry.tags('team/failing-tests')).toEqual([]);
      expect((await registry.manifest('team/failing-tests', SHA)).status).toBe(404);
    } finally {
      workspace.dispose();
    }
  }, 60_000);

  it('pushes with REGISTRY_USERNAME/REGISTRY_PASSWORD to a registry that requires them', async () => {
    const secured = await PrivateRegistry.start({ auth: true });
    const workspace = scratchWorkspace({ service: 'secured', repository: `${secured.host}/team/secured`, test: { kind: 'pass' } });
    try {
      const anonymous = await switchyard(['release', '--dir', workspace.dir, ...serverArgs(), '--tag', 'anon.1', ...storage.args]);
      expect(anonymous.code).toBe(1);
      expect(anonymous.stderr).toMatch(/^switchyard: release failed at publish: buildah push exited with code \d+\n$/);
      expect(anonymous.stdout).toMatch(/\[publish\] .*(unauthorized|authentication required)/i);

      const run = await switchyard(['release', '--dir', workspace.dir, ...serverArgs(), '--tag', 'main.3', ...storage.args], {
        REGISTRY_USERNAME: REGISTRY_USER.username,
        REGISTRY_PASSWORD: REGISTRY_USER.password,
      });
      expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
      // The password goes through a private auth file, never the command line that the log shows.
      expect(run.stdout).not.toContain(REGISTRY_USER.password);
      const page = await api('/api/v1/services/secured/releases?status=succeeded');
      expect(page.items).toHaveLength(1);
      expect((await secured.manifest('team/secured', 'main.3')).digest).toBe(page.items[0].imageDigest);
    } finally {
      workspace.dispose();
      await secured.stop();
    }
  }, 60_000);

  it('runs the test command inside the built image with inImage: true and reads its report back', async () => {
    const report =
      '<testsuites><testsuite name="in-image"><testcase name="starts"/><testcase name="serves"><failure message="no listener on 8080"/></testcase></testsuite></testsuites>';
    const workspace = shellImageWorkspace({
      service: 'in-image',
      repository: `${registry.host}/team/in-image`,
      // Only shell builtins: the image holds nothing but sh and libc.
      command: `echo "running in $PWD"; echo '${report}' > junit.xml`,
      results: 'junit.xml',
    });
    try {
      const run = await switchyard(['release', '--dir', workspace.dir, ...serverArgs(), '--tag', 'main.1', ...storage.args]);
      expect(run.code).toBe(1);
      expect(run.stdout).toMatch(/^\[test\] running in \/work$/m);
      expect(run.stderr).toBe('switchyard: release failed at test: 1 of 2 tests failed: serves\n');
      const release = await releaseOf('in-image');
      expect(release.stages[1].testSummary).toMatchObject({
        tests: 2,
        failures: 1,
        failedCases: [{ name: 'serves', suite: 'in-image', message: 'no listener on 8080' }],
      });
      expect(await registry.tags('team/in-image')).toEqual([]);
    } finally {
      workspace.dispose();
    }
  }, 60_000);

  it('runs without a server and skips publish with --no-push', async () => {
    const workspace = scratchWorkspace({ service: 'local-only', repository: `${registry.host}/team/local-only`, test: { kind: 'pass' } });
    try {
      const run = await switchyard(['release', '--dir', workspace.dir, '--no-push', '--tag', 'dev', ...storage.args]);
      expect(run.code).toBe(0);
      expect(run.stdout).toContain('no --server or SWITCHYARD_URL: running without recording the release');
      expect(run.stdout).toMatch(/^\[publish\] skipped — not pushed \(--no-push\)$/m);
      expect(run.stdout).toMatch(/release succeeded: .*local-only:dev \(sha256:[0-9a-f]{64}, not pushed\)/);
      expect(await registry.tags('team/local-only')).toEqual([]);
    } finally {
      workspace.dispose();
    }
  }, 60_000);
});
