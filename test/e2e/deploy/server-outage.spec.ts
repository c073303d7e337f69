import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dropSchema } from '@switchyard/persistence';
import { freePort } from '../../support/free-port';
import { json } from '../../support/http';
import { requireTool } from '../../support/system-tool';
import { newTestDatabase, startTestServer, waitFor, type TestServer } from '../../support/test-server';
import { PrivateRegistry } from './private-registry';
import { buildahStorage, scratchWorkspace, switchyard } from './release-workspace';

const ready = requireTool('buildah', 'buildah') && requireTool('docker-registry', 'docker-registry');

async function deployToken(server: TestServer): Promise<string> {
  const res = await fetch(`${server.url}/api/v1/tokens`, {
    method: 'POST',
    headers: { authorization: `Bearer ${server.adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'ci-github', scopes: ['deploy'] }),
  });
  return (await json(res)).secret;
}

(ready ? describe : describe.skip)('the server goes away in the middle of a release', () => {
  let registry: PrivateRegistry;
  let storage: ReturnType<typeof buildahStorage>;
  beforeAll(async () => {
    registry = await PrivateRegistry.start();
    storage = buildahStorage();
  });
  afterAll(async () => {
    await registry?.stop();
    storage?.dispose();
  });

  it('the CLI fails clearly within its retry bound, and the server marks the silent release abandoned', async () => {
    const database = newTestDatabase();
    const adminToken = `sy_test_${randomBytes(18).toString('base64url')}`;
    // The test command waits for the file `go`, so the server can be stopped while the test stage runs.
    const workspace = scratchWorkspace({ service: 'outage', repository: `${registry.host}/team/outage`, test: { kind: 'wait-for', file: 'go' } });
    const go = join(workspace.dir, 'go');
    // Both servers share one database; whichever is still open when the test ends is closed in finally.
    const open = new Set<TestServer>();
    try {
      const first = await startTestServer({ redis: 'none', database, env: { SWITCHYARD_ADMIN_TOKEN: adminToken } });
      open.add(first);
      const ci = await deployToken(first);
      const read = async (server: TestServer, path: string) =>
        json(await fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${adminToken}` } }));

      const running = switchyard(['release', '--dir', workspace.dir, '--server', first.url, '--token', ci, '--tag', 'main.1', ...storage.args]);
      const id = await waitFor(
        async () => {
          const page = await read(first, '/api/v1/services/outage/releases');
          const release = page.items[0];
          return release?.stages[1].status === 'running' ? (release.id as string) : undefined;
        },
        20_000,
        'the test stage to be reported running',
      );

      // The server stops (the database is shared, so it stays); then the test stage ends with nobody to report to.
      await first.close();
      open.delete(first);
      const stopped = Date.now();
      writeFileSync(go, '');
      const run = await running;
      const failedAfterMs = Date.now() - stopped;

      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(
        /^switchyard: release stopped at test: the server did not accept the stage report: cannot reach the Switchyard server at http:\/\/127\.0\.0\.1:\d+ \(5 attempts\): ECONNREFUSED/,
      );
      expect(run.stderr).toContain(`the server marks release ${id} abandoned once it has heard nothing for RELEASE_ABANDON_AFTER`);
      expect(failedAfterMs).toBeLessThan(15_000);
      expect(run.stdout).not.toContain('[publish]');
      expect(await registry.tags('team/outage')).toEqual([]);

      // A restarted server (or any replica) on the same database sweeps the silent release.
      const server = await startTestServer({ redis: 'none', database, env: { SWITCHYARD_ADMIN_TOKEN: adminToken, RELEASE_ABANDON_AFTER: '1s' } });
      open.add(server);
      const abandoned = await waitFor(
        async () => {
          const release = await read(server, `/api/v1/releases/${id}`);
          return release.status === 'abandoned' ? release : undefined;
        },
        15_000,
        'the release to be abandoned',
      );
      expect(abandoned.stages.map((s: any) => s.status)).toEqual(['succeeded', 'abandoned', 'pending']);
      expect(abandoned.stages[1].error).toBe('no report for 1 s');
      expect(abandoned.finishedAt).toEqual(expect.any(String));
      const audit = await read(server, `/api/v1/audit?target=${encodeURIComponent(`release:outage/${id}`)}&action=release.abandoned`);
      expect(audit.items).toHaveLength(1);
      expect(audit.items[0]).toMatchObject({
        actor: 'system:abandon-sweeper',
        before: { status: 'running', runningStage: 'test' },
        after: { status: 'abandoned' },
      });
      const metrics = await (await fetch(`${server.url}/metrics`)).text();
      expect(metrics).toMatch(/switchyard_releases_total\{service="outage",outcome="abandoned"\} 1/);
      expect(metrics).toMatch(/switchyard_release_stage_duration_seconds_count\{service="outage",stage="test",outcome="abandoned"\} 1/);

      // The CLI's retried report, arriving late, is refused rather than resurrecting the release.
      const late = await fetch(`${server.url}/api/v1/releases/${id}/stages/test`, {
        method: 'PATCH',
        headers: { authorization: `Bearer ${ci}`, 'content-type': 'application/json' },
        body: JSON.stringify({ status: 'succeeded' }),
      });
      expect(late.status).toBe(409);
    } finally {
      for (const server of open) await server.close();
      if (database.url) await dropSchema(database.url, database.schema);
      rmSync(database.dataDir, { recursive: true, force: true });
      workspace.dispose();
    }
  }, 90_000);

  it('a server that is down before the release starts fails the CLI before anything is built', async () => {
    const workspace = scratchWorkspace({ service: 'never-started', repository: `${registry.host}/team/never-started`, test: { kind: 'pass' } });
    try {
      // A loopback port nobody listens on: what a stopped server looks like to a client.
      const url = `http://127.0.0.1:${await freePort()}`;
      const run = await switchyard(['release', '--dir', workspace.dir, '--server', url, '--token', 'sy_unused_token', '--tag', 'v1', ...storage.args]);
      expect(run.code).toBe(1);
      expect(run.stderr).toBe(`switchyard: could not open the release: cannot reach the Switchyard server at ${url} (5 attempts): ECONNREFUSED\n`);
      expect(run.stdout).not.toContain('[build]');
    } finally {
      workspace.dispose();
    }
  }, 60_000);

  it('heartbeats keep a long stage alive past RELEASE_ABANDON_AFTER', async () => {
    // Ten heartbeats per abandon window: a loaded machine (embedded PGlite shares the event loop) may
    // delay a few, never all of them.
    const server = await startTestServer({ redis: 'none', env: { RELEASE_ABANDON_AFTER: '2s' } });
    const workspace = scratchWorkspace({ service: 'slow-tests', repository: `${registry.host}/team/slow-tests`, test: { kind: 'slow', ms: 4000 } });
    try {
      const ci = await deployToken(server);
      const run = await switchyard([
        'release',
        '--dir',
        workspace.dir,
        '--server',
        server.url,
        '--token',
        ci,
        '--tag',
        'main.2',
        '--heartbeat-ms',
        '200',
        ...storage.args,
      ]);
      expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
      const page = await json(await fetch(`${server.url}/api/v1/services/slow-tests/releases`, { headers: { authorization: `Bearer ${server.adminToken}` } }));
      expect(page.items[0].status).toBe('succeeded');
      expect(page.items[0].stages[1].durationMs).toBeGreaterThanOrEqual(4000);
    } finally {
      await server.close();
      workspace.dispose();
    }
  }, 60_000);
});
