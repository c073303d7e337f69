import { ApiClient } from '../../support/api-client';
import { startTestServer, type TestServer } from '../../support/test-server';

/** Optimistic concurrency under contention: If-Match makes exactly one writer win per version. */
describe('concurrent conflicting edits with If-Match', () => {
  let server: TestServer;
  let api: ApiClient;
  beforeAll(async () => {
    server = await startTestServer();
    api = new ApiClient(server.url, server.adminToken);
  }, 60_000);
  afterAll(() => server.close());

  const auditCount = async (key: string): Promise<number> => {
    let count = 0;
    let cursor: string | null = null;
    do {
      const page = await api.get(`/api/v1/audit?target=flag:${key}&limit=500${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      count += page.body.items.length;
      cursor = page.body.nextCursor;
    } while (cursor);
    return count;
  };

  it('50 edits with the same If-Match: one 200, 49 × 409 with currentVersion, nothing lost', async () => {
    const created = await api.post('/api/v1/flags', { key: 'contended', type: 'string', variants: { a: 'A', b: 'B' } });
    expect(created.status).toBe(201);
    const initial = created.body.version as number;
    const etag = created.headers.get('etag')!;
    const auditBefore = await auditCount('contended');

    // Each edit is distinguishable, so the stored state tells which one won.
    const started = performance.now();
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        api.patch(
          '/api/v1/flags/contended/environments/staging',
          { rules: [{ description: `edit-${i}`, conditions: [{ attribute: 'n', operator: 'eq', values: [i] }], serve: { variant: 'b' } }] },
          { 'if-match': etag },
        ),
      ),
    );
    const elapsed = performance.now() - started;

    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(49);
    const winner = results.findIndex((r) => r.status === 200);
    expect(results[winner].body.version).toBe(initial + 1);
    expect(results[winner].headers.get('etag')).toBe(`"${initial + 1}"`);
    for (const loser of results.filter((r) => r.status === 409)) {
      expect(loser.body.error).toMatchObject({ code: 'CONFLICT', currentVersion: initial + 1 });
      expect(loser.body.error.details).toEqual([{ path: 'If-Match', problem: expect.stringContaining(`current version is ${initial + 1}`) }]);
    }

    // The record agrees with the answers: one new version holding the winner's edit, one audit event.
    const flag = await api.get('/api/v1/flags/contended');
    expect(flag.body.version).toBe(initial + 1);
    expect(flag.body.environments.staging.rules.map((r: any) => r.description)).toEqual([`edit-${winner}`]);
    const versions = await api.get('/api/v1/flags/contended/versions');
    expect(versions.body.items.map((v: any) => v.version)).toEqual([initial + 1, initial]);
    expect(versions.body.items[0].definition.environments.staging.rules[0].description).toBe(`edit-${winner}`);
    expect(await auditCount('contended')).toBe(auditBefore + 1);
    process.stdout.write(`50 conflicting edits answered in ${elapsed.toFixed(0)} ms: edit-${winner} won\n`);
  }, 60_000);

  it('writers that reload and retry on 409 all land, one per version, none overwritten', async () => {
    const created = await api.post('/api/v1/flags', { key: 'retried', type: 'string', variants: { a: 'A', b: 'B' } });
    const initial = created.body.version as number;
    const writers = 20;

    // Each writer appends its own rule to whatever it last read: a lost update would drop a rule.
    const writer = async (i: number): Promise<{ attempts: number; version: number }> => {
      for (let attempt = 1; attempt <= 100; attempt++) {
        const current = await api.get('/api/v1/flags/retried');
        const rules = current.body.environments.staging.rules.map((rule: any) => ({
          id: rule.id,
          description: rule.description,
          conditions: rule.conditions,
          serve: rule.serve,
        }));
        rules.push({ id: `w${i}`, description: `writer-${i}`, conditions: [{ attribute: 'n', operator: 'eq', values: [i] }], serve: { variant: 'b' } });
        const res = await api.patch('/api/v1/flags/retried/environments/staging', { rules }, { 'if-match': current.headers.get('etag')! });
        if (res.status === 200) return { attempts: attempt, version: res.body.version };
        expect(res.status).toBe(409);
      }
      throw new Error(`writer ${i} never got through`);
    };
    const outcomes = await Promise.all(Array.from({ length: writers }, (_, i) => writer(i)));

    // Every version from initial+1 to initial+writers was won by exactly one writer.
    expect(outcomes.map((o) => o.version).sort((a, b) => a - b)).toEqual(Array.from({ length: writers }, (_, i) => initial + 1 + i));
    const flag = await api.get('/api/v1/flags/retried');
    expect(flag.body.version).toBe(initial + writers);
    expect(flag.body.environments.staging.rules.map((r: any) => r.description).sort()).toEqual(Array.from({ length: writers }, (_, i) => `writer-${i}`).sort());
    const versions = await api.get('/api/v1/flags/retried/versions');
    expect(versions.body.items).toHaveLength(writers + 1);
    // Each version holds exactly one more rule than the one before it.
    const ruleCounts = versions.body.items.map((v: any) => v.definition.environments.staging.rules.length).reverse();
    expect(ruleCounts).toEqual(Array.from({ length: writers + 1 }, (_, i) => i));
    expect(await auditCount('retried')).toBe(writers + 1);
    const attempts = outcomes.map((o) => o.attempts);
    process.stdout.write(`${writers} retrying writers: ${attempts.reduce((a, b) => a + b, 0)} attempts in all, at most ${Math.max(...attempts)} for one\n`);
  }, 90_000);
});
