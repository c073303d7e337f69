import { json } from '../../support/http';
import { startTestServer, type TestServer } from '../../support/test-server';

const PIPELINE = {
  service: 'market-data',
  build: { context: '.', containerfile: 'Containerfile', args: { NODE_ENV: 'production' } },
  test: { command: 'npm test', results: 'reports/junit.xml' },
  publish: { repository: '127.0.0.1:5000/team/market-data' },
};
const DIGEST = `sha256:${'ab'.repeat(32)}`;
const IMAGE_ID = `sha256:${'cd'.repeat(32)}`;

// Oldest first by id; sorted here because the audit API orders ids as text (reported to its owner).
const chronological = (items: any[]) => [...items].sort((a, b) => Number(a.id) - Number(b.id));

describe('deploy API: releases and stage reports', () => {
  let server: TestServer;
  let ci: string;
  let reader: string;

  const call = async (method: string, path: string, body?: unknown, token = ci) =>
    fetch(`${server.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const create = async (version: string, extra: Record<string, unknown> = {}) => {
    const res = await call('POST', '/api/v1/services/market-data/releases', {
      version,
      gitSha: '4f2a9c1e0d6b',
      branch: 'main',
      buildNumber: '7',
      pipeline: PIPELINE,
      ...extra,
    });
    expect(res.status).toBe(201);
    return json(res);
  };
  const report = (id: string, stage: string, body: Record<string, unknown>) => call('PATCH', `/api/v1/releases/${id}/stages/${stage}`, body);
  const token = async (name: string, scopes: string[]) =>
    (await json(await call('POST', '/api/v1/tokens', { name, scopes }, server.adminToken))).secret as string;

  beforeAll(async () => {
    server = await startTestServer({ redis: 'none' });
    ci = await token('ci-jenkins', ['deploy']);
    reader = await token('dashboard', ['deploy:read']);
  });
  afterAll(() => server.close());

  it('records a release through build, test and publish, with audit events and metrics', async () => {
    const created = await create('main.7');
    expect(created).toMatchObject({ service: 'market-data', version: 'main.7', status: 'running', createdBy: 'token:ci-jenkins', gitSha: '4f2a9c1e0d6b' });
    expect(created.stages.map((s: any) => [s.name, s.status])).toEqual([
      ['build', 'pending'],
      ['test', 'pending'],
      ['publish', 'pending'],
    ]);
    const id = created.id;

    expect((await report(id, 'build', { status: 'running' })).status).toBe(200);
    expect((await report(id, 'build', { status: 'succeeded', logTail: 'COMMIT', artifacts: { builder: 'buildah', imageId: IMAGE_ID } })).status).toBe(200);
    await report(id, 'test', { status: 'running' });
    const summary = { tests: 3, passed: 3, failures: 0, errors: 0, skipped: 0, timeSeconds: 0.4, failedCases: [] };
    await report(id, 'test', { status: 'succeeded', testSummary: summary });
    await report(id, 'publish', { status: 'running' });
    const done = await json(
      await report(id, 'publish', { status: 'succeeded', artifacts: { imageReference: '127.0.0.1:5000/team/market-data:main.7', imageDigest: DIGEST } }),
    );
    expect(done).toMatchObject({ status: 'succeeded', imageDigest: DIGEST, imageReference: '127.0.0.1:5000/team/market-data:main.7', failedStage: null });
    expect(done.finishedAt).toEqual(expect.any(String));

    const fetched = await json(await call('GET', `/api/v1/releases/${id}`, undefined, reader));
    const stages = Object.fromEntries(fetched.stages.map((s: any) => [s.name, s]));
    expect(stages.build).toMatchObject({ status: 'succeeded', logTail: 'COMMIT', artifacts: { builder: 'buildah', imageId: IMAGE_ID } });
    expect(stages.test.testSummary).toEqual(summary);
    for (const stage of fetched.stages) {
      expect(Date.parse(stage.finishedAt)).toBeGreaterThanOrEqual(Date.parse(stage.startedAt));
      expect(stage.durationMs).toBeGreaterThanOrEqual(0);
    }

    const audit = await json(
      await call('GET', `/api/v1/audit?target=${encodeURIComponent(`release:market-data/${id}`)}&limit=50`, undefined, server.adminToken),
    );
    const actions = chronological(audit.items).map((e: any) => e.action);
    expect(actions).toEqual([
      'release.created',
      'release.stage.started',
      'release.stage.succeeded',
      'release.stage.started',
      'release.stage.succeeded',
      'release.stage.started',
      'release.stage.succeeded',
      'release.succeeded',
    ]);
    for (const event of audit.items) {
      expect(event.actor).toBe('token:ci-jenkins');
      expect(event.meta.gitSha).toBe('4f2a9c1e0d6b');
    }
    expect(chronological(audit.items).at(-1).meta.imageDigest).toBe(DIGEST);
    expect(audit.items.find((e: any) => e.action === 'release.stage.succeeded' && e.meta.stage === 'build').meta.imageId).toBe(IMAGE_ID);

    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/switchyard_releases_total\{service="market-data",outcome="succeeded"\} 1/);
    for (const stage of ['build', 'test', 'publish']) {
      expect(metrics).toMatch(new RegExp(`switchyard_release_stage_duration_seconds_count\\{service="market-data",stage="${stage}",outcome="succeeded"\\} 1`));
    }
  });

  it('takes a retried report once, and refuses impossible transitions with 409', async () => {
    const { id } = await create('main.8');
    // Finishing a stage that never started.
    const early = await report(id, 'build', { status: 'succeeded' });
    expect(early.status).toBe(409);
    expect((await json(early)).error).toMatchObject({
      code: 'CONFLICT',
      message: 'stage build never started; report it running first',
      stageStatus: 'pending',
    });
    // Starting a stage before its predecessor succeeded.
    const skipAhead = await json(await report(id, 'test', { status: 'running' }));
    expect(skipAhead.error.message).toBe('stage test cannot start before build has succeeded (build is pending)');

    await report(id, 'build', { status: 'running' });
    // A retry racing the original: one applies, the other finds it applied.
    const [first, again] = await Promise.all([
      report(id, 'build', { status: 'succeeded', artifacts: { imageId: IMAGE_ID } }),
      report(id, 'build', { status: 'succeeded', artifacts: { imageId: IMAGE_ID } }),
    ]);
    expect([first.status, again.status]).toEqual([200, 200]);
    expect((await json(again)).stages[0].status).toBe('succeeded');
    // Contradicting a finished stage.
    expect((await report(id, 'build', { status: 'failed' })).status).toBe(409);
    expect((await report(id, 'build', { status: 'running' })).status).toBe(409);

    await report(id, 'test', { status: 'running' });
    const failures = {
      tests: 2,
      passed: 1,
      failures: 1,
      errors: 0,
      skipped: 0,
      timeSeconds: 0.1,
      failedCases: [{ name: 'GET /quotes/:symbol rejects lower case', kind: 'failure', message: 'expected 400' }],
    };
    const failed = await json(await report(id, 'test', { status: 'failed', error: '1 of 2 tests failed', testSummary: failures }));
    expect(failed).toMatchObject({ status: 'failed', failedStage: 'test', imageDigest: null });
    expect((await report(id, 'test', { status: 'failed', error: '1 of 2 tests failed' })).status).toBe(200);
    const ended = await json(await report(id, 'publish', { status: 'running' }));
    expect(ended.error).toMatchObject({ code: 'CONFLICT', message: `release ${id} is failed; it takes no more stage reports` });

    const audit = await json(await call('GET', `/api/v1/audit?target=${encodeURIComponent(`release:market-data/${id}`)}`, undefined, server.adminToken));
    const actions = chronological(audit.items).map((e: any) => e.action);
    // One event per real transition: the repeated reports left no trace.
    expect(actions).toEqual([
      'release.created',
      'release.stage.started',
      'release.stage.succeeded',
      'release.stage.started',
      'release.stage.failed',
      'release.failed',
    ]);
    expect(audit.items.find((e: any) => e.action === 'release.stage.failed').after).toMatchObject({ error: '1 of 2 tests failed', tests: { failures: 1 } });
  });

  it('lists releases by service with filters and cursor pagination', async () => {
    // Twelve, so sequence numbers cross from one digit to two (text order would break paging).
    for (let n = 1; n <= 12; n++) await create(`feature-x.${n}`, { branch: 'feature/x', buildNumber: String(n) });
    await call('POST', '/api/v1/services/pricing/releases', { version: 'main.1' });

    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: any = await json(
        await call('GET', `/api/v1/services/market-data/releases?branch=feature%2Fx&limit=5${cursor ? `&cursor=${cursor}` : ''}`, undefined, reader),
      );
      seen.push(...page.items.map((r: any) => r.version));
      cursor = page.nextCursor;
      pages++;
    } while (cursor && pages < 10);
    expect(seen).toEqual(Array.from({ length: 12 }, (_, i) => `feature-x.${12 - i}`));
    expect(pages).toBe(3);

    const failed = await json(await call('GET', '/api/v1/services/market-data/releases?status=failed', undefined, reader));
    expect(failed.items.map((r: any) => r.version)).toEqual(['main.8']);
    const all = await json(await call('GET', '/api/v1/releases?limit=100', undefined, reader));
    expect(new Set(all.items.map((r: any) => r.service))).toEqual(new Set(['market-data', 'pricing']));
    const pricing = await json(await call('GET', '/api/v1/releases?service=pricing', undefined, reader));
    expect(pricing.items).toHaveLength(1);
    expect(pricing.items[0].stages).toHaveLength(3);
    const listed = all.items.find((r: any) => r.version === 'main.7');
    expect(listed.stages[0].logTail).toBeNull();
    expect(listed.stages[1].testSummary.tests).toBe(3);
  });

  it('validates input and the pipeline with the same schema as the CLI', async () => {
    const bad = await json(
      await call('POST', '/api/v1/services/market-data/releases', {
        version: '-bad',
        gitSha: 'xyz',
        pipeline: { ...PIPELINE, test: { command: 'x', results: 42 } },
      }),
    );
    expect(bad.error.code).toBe('VALIDATION_FAILED');
    expect(bad.error.details.map((d: any) => d.path).sort()).toEqual(['gitSha', 'version']);
    const pipeline = await json(
      await call('POST', '/api/v1/services/market-data/releases', { version: 'v1', pipeline: { ...PIPELINE, test: { command: 'x', results: 42 } } }),
    );
    expect(pipeline.error.details).toEqual([{ path: 'pipeline.test.results', problem: 'must be a string' }]);
    const other = await json(await call('POST', '/api/v1/services/pricing/releases', { version: 'v1', pipeline: PIPELINE }));
    expect(other.error.details).toEqual([{ path: 'pipeline.service', problem: 'is "market-data" but the release is for service "pricing"' }]);
    expect((await call('POST', '/api/v1/services/Not_A_Name/releases', { version: 'v1' })).status).toBe(400);
    const { id } = await create('main.9');
    expect((await report(id, 'deploy', { status: 'running' })).status).toBe(404);
    expect((await report(id, 'build', { status: 'pending' })).status).toBe(400);
    expect((await call('GET', '/api/v1/releases/not-a-uuid', undefined, reader)).status).toBe(404);
    expect((await call('GET', '/api/v1/releases/00000000-0000-4000-8000-000000000000', undefined, reader)).status).toBe(404);
    expect((await call('GET', '/api/v1/releases?cursor=abc', undefined, reader)).status).toBe(400);
  });

  it('needs scope deploy to create and report, deploy:read to read', async () => {
    expect((await call('POST', '/api/v1/services/market-data/releases', { version: 'v2' }, reader)).status).toBe(403);
    const { id } = await create('main.10');
    expect((await call('PATCH', `/api/v1/releases/${id}/stages/build`, { status: 'running' }, reader)).status).toBe(403);
    expect((await fetch(`${server.url}/api/v1/releases/${id}`)).status).toBe(401);
    const flagsOnly = await token('flags-ui', ['flags:read']);
    expect((await call('GET', `/api/v1/releases/${id}`, undefined, flagsOnly)).status).toBe(403);
    expect((await call('GET', `/api/v1/releases/${id}`, undefined, ci)).status).toBe(200);
  });

  it('documents the routes in OpenAPI', async () => {
    const doc = await json(await fetch(`${server.url}/api/openapi.json`));
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/api/v1/services/{service}/releases', '/api/v1/releases', '/api/v1/releases/{id}', '/api/v1/releases/{id}/stages/{stage}']),
    );
  });
});
