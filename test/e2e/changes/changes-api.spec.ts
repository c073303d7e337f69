import { AuditService, CHANGE_KINDS, kindFilterSql, kindOfAction, kindSql } from '@switchyard/audit';
import { Database, MIGRATIONS } from '@switchyard/persistence';
import { runCli } from '../../../apps/cli/src/switchyard-cli';
import { ApiClient } from '../../support/api-client';
import { startTestServer, type TestServer } from '../../support/test-server';

/**
 * GET /api/v1/changes: flag changes made through the API and the rollout engine's events (recorded
 * through the same AuditService the engine uses) on one timeline, newest first, filtered and paged.
 */
describe('the changes timeline API', () => {
  let server: TestServer;
  let api: ApiClient;
  let audit: AuditService;
  let db: Database;

  const record = (event: Parameters<AuditService['record']>[1]) => db.transaction((m) => audit.record(m, event));
  const changes = async (query: string) => {
    const res = await api.get(`/api/v1/changes?${query}`);
    expect(res.status).toBe(200);
    return res.body as { items: Array<Record<string, any>>; nextCursor: string | null };
  };

  beforeAll(async () => {
    server = await startTestServer({ redis: 'none' });
    api = new ApiClient(server.url, server.adminToken);
    audit = server.app.get(AuditService);
    db = server.app.get(Database);
    expect((await api.post('/api/v1/flags', { key: 'quotes.new-pricing', type: 'boolean' })).status).toBe(201);
    const toggled = await api.post(
      '/api/v1/flags/quotes.new-pricing/environments/production/toggle',
      { enabled: true },
      { 'x-switchyard-confirm': 'production', 'x-switchyard-comment': 'launch day' },
    );
    expect(toggled.status).toBe(200);
    // The engine's events, as libs/deploy writes them today (service only in meta and target).
    const release = 'target-release-1';
    const engine = { actor: 'system:rollout', target: `release:quotes/${release}`, environment: 'production' };
    await record({
      ...engine,
      action: 'rollout.gate.waiting',
      after: { step: 'gate', environment: 'production' },
      meta: { service: 'quotes', kind: 'approval' },
    });
    await record({
      actor: 'user:ada@example.com',
      action: 'rollout.gate.approved',
      target: engine.target,
      environment: 'production',
      before: { status: 'waiting', step: 'gate' },
      after: { status: 'running' },
      meta: { rolloutId: 'r1', comment: 'checked the plan' },
    });
    await record({
      ...engine,
      action: 'rollout.dark-launch.verdict',
      service: 'quotes',
      after: { outcome: 'fail', reason: '$.price differs in 25.0 % of 1,200 comparisons', reportUrl: '/dark-launch?route=quotes' },
    });
    await record({
      ...engine,
      action: 'rollout.verdict',
      after: { verdict: 'Successful', reason: 'every metric within its threshold' },
      meta: { service: 'quotes' },
    });
    await record({ ...engine, environment: 'staging', action: 'rollout.deployed', meta: { service: 'quotes', version: '1.4.0' } });
    await record({ actor: 'token:ci', action: 'release.created', target: 'release:billing/b-1', after: { version: '2.0.0' } });
    await record({ actor: 'user:ada@example.com', action: 'session.sign-in', target: 'user:ada@example.com', meta: { address: '127.0.0.1' } });
  }, 60_000);
  afterAll(() => server.close());

  it('answers what changed in production, newest first, with kind, service, sentences, why and a link', async () => {
    const page = await changes('environment=production&since=30m');
    expect(page.items.map((c) => c.action)).toEqual([
      'rollout.verdict',
      'rollout.dark-launch.verdict',
      'rollout.gate.approved',
      'rollout.gate.waiting',
      'flag.toggled',
      // Creating a flag reaches every environment (no environment of its own), so production's answer has it.
      'flag.created',
    ]);
    const [verdict, darkLaunch, approval, , toggle] = page.items;
    // Events of one other environment stay out.
    expect(page.items.map((c) => c.environment)).not.toContain('staging');
    expect(verdict).toMatchObject({ kind: 'verdict', service: 'quotes', reason: 'every metric within its threshold', link: '/releases/target-release-1' });
    expect(verdict.summary).toEqual(['Canary verdict in production: Successful: every metric within its threshold']);
    expect(darkLaunch).toMatchObject({ kind: 'verdict', link: '/dark-launch?route=quotes', reason: '$.price differs in 25.0 % of 1,200 comparisons' });
    // The engine did not pass `service` on the approval: the target names it.
    expect(approval).toMatchObject({ kind: 'approval', actor: 'user:ada@example.com', service: 'quotes', comment: 'checked the plan' });
    expect(toggle).toMatchObject({ kind: 'flag', comment: 'launch day', link: '/flags/quotes.new-pricing?environment=production', service: null });
    expect(toggle.summary.length).toBeGreaterThan(0);
    expect(toggle.before).toBeDefined();
    expect(toggle.after).toBeDefined();
    for (const change of page.items) expect(Date.parse(change.at)).toBeGreaterThan(Date.now() - 30 * 60_000);
    // Sign-ins are audited but are not changes.
    expect((await changes('since=30m')).items.map((c) => c.action)).not.toContain('session.sign-in');
  });

  it('filters by service, kind and actor, and pages with a cursor without losing or repeating a change', async () => {
    expect((await changes('service=quotes')).items.map((c) => c.action)).toEqual([
      'rollout.deployed',
      'rollout.verdict',
      'rollout.dark-launch.verdict',
      'rollout.gate.approved',
      'rollout.gate.waiting',
    ]);
    expect((await changes('service=billing')).items.map((c) => c.action)).toEqual(['release.created']);
    expect((await changes('environment=production&kind=approval')).items.map((c) => c.action)).toEqual(['rollout.gate.approved', 'rollout.gate.waiting']);
    expect((await changes('actor=system:*&environment=production')).items).toHaveLength(3);
    expect((await changes('actor=token:ci')).items.map((c) => c.action)).toEqual(['release.created']);

    const all = (await changes('limit=200')).items.map((c) => c.id);
    const walked: string[] = [];
    let cursor: string | null = null;
    for (let pages = 0; pages < 20; pages++) {
      const page = await changes(`limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      walked.push(...page.items.map((c) => c.id));
      cursor = page.nextCursor;
      if (!cursor) break;
    }
    expect(walked).toEqual(all);
  });

  it('filters each kind exactly as the kind column reads it', async () => {
    const actions = [
      'flag.toggled',
      'rollout.gate.approved',
      'change-request.opened',
      'change-request.approved',
      'rollout.verdict',
      'rollout.dark-launch.verdict',
      'rollout.dark-launch.started',
      'rollout.flag-release.tripped',
      'rollout.flag-release.step',
      'rollout.applied',
      'environment.rolled-back',
      'environment.updated',
      'mirror.verdict',
      'mirror-route.created',
      'release-policy.updated',
      'release.stage.failed',
      'token.created',
      'brand.new',
    ];
    const values = actions.map((a) => `('${a}')`).join(', ');
    for (const kind of CHANGE_KINDS) {
      const [row] = await db.query<{ by_case: string[]; by_filter: string[] }>(
        `SELECT array(SELECT action FROM (VALUES ${values}) v(action) WHERE ${kindSql()} = $1 ORDER BY 1) AS by_case,
                array(SELECT action FROM (VALUES ${values}) v(action) WHERE ${kindFilterSql(kind)} ORDER BY 1) AS by_filter`,
        [kind],
      );
      expect({ kind, actions: row.by_filter }).toEqual({ kind, actions: row.by_case });
      expect(row.by_case).toEqual(actions.filter((a) => kindOfAction(a) === kind).sort());
    }
  });

  it('answers bad filters with 400 naming the field', async () => {
    for (const [query, field] of [
      ['since=30x', 'since'],
      ['since=yesterday', 'since'],
      ['kind=deploys', 'kind'],
      ['limit=0', 'limit'],
      ['cursor=abc', 'cursor'],
      [`environment=${'p'.repeat(65)}`, 'environment'],
      ['service=a%00b', 'service'],
    ]) {
      const res = await api.get(`/api/v1/changes?${query}`);
      expect({ query, status: res.status, code: res.body.error?.code }).toEqual({ query, status: 400, code: 'VALIDATION_FAILED' });
      expect(res.body.error.details.map((d: { path: string }) => d.path)).toContain(field);
    }
    expect((await api.get('/api/v1/changes?since=2026-01-01T00:00:00Z')).status).toBe(200);
  });

  it('needs a read scope', async () => {
    expect((await api.withToken(undefined).get('/api/v1/changes')).status).toBe(401);
    const sdk = await api.token_('changes-sdk', ['sdk:production']);
    expect((await api.withToken(sdk).get('/api/v1/changes')).status).toBe(403);
    const reader = await api.token_('changes-reader', ['deploy:read']);
    expect((await api.withToken(reader).get('/api/v1/changes?environment=production')).status).toBe(200);
  });

  it('prints the same timeline in the CLI, and the server’s reason for a bad filter', async () => {
    const run = async (...args: string[]) => {
      let stdout = '';
      let stderr = '';
      const io = { env: {}, cwd: process.cwd(), stdout: { write: (t: string) => (stdout += t) }, stderr: { write: (t: string) => (stderr += t) } };
      const code = await runCli(['changes', ...args, '--server', server.url, '--token', server.adminToken], io);
      return { code, stdout, stderr };
    };
    const text = await run('--environment', 'production', '--since', '30m', '--service', 'quotes');
    expect(text.code).toBe(0);
    const blocks = text.stdout.split('\n').filter((line) => /^\d{4}-/.test(line));
    expect(blocks.map((line) => line.split(/\s+/)[1])).toEqual(['verdict', 'verdict', 'approval', 'approval']);
    expect(text.stdout).toContain('Canary verdict in production: Successful: every metric within its threshold');
    expect(text.stdout).toContain('comment: checked the plan');
    expect(text.stdout).toContain('/dark-launch?route=quotes');

    const paged = await run('--environment', 'production', '--limit', '2', '--json');
    expect(paged.code).toBe(0);
    const page = JSON.parse(paged.stdout) as { items: Array<{ action: string }>; nextCursor: string };
    expect(page.items).toHaveLength(2);
    const more = await run('--environment', 'production', '--limit', '2');
    expect(more.stdout).toContain(`more: switchyard changes --environment production --limit 2 --cursor ${page.nextCursor}`);

    const bad = await run('--since', '30 minutes');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('400 VALIDATION_FAILED');
    expect(bad.stderr).toMatch(/since: must be a duration/);
    expect((await run('--limit', '0')).code).toBe(2);
  });

  it('fills the service of events written before the column existed, and goes back down cleanly', async () => {
    const Timeline = MIGRATIONS.find((m) => m.name === 'TimelineService1764300000000');
    if (!Timeline) throw new Error('the timeline migration is not registered');
    const migration = new Timeline();
    const runner = db.dataSource.createQueryRunner();
    try {
      await migration.down(runner);
      await runner.query(
        `INSERT INTO audit_events (actor, action, target, environment, meta) VALUES
          ('system:rollout', 'rollout.failed', 'release:ledger/l-1', 'production', '{}'),
          ('user:ada@example.com', 'environment.rollback.requested', 'environment:ledger/staging', 'staging', '{}'),
          ('token:ci', 'flag.toggled', 'flag:x', 'production', '{}')`,
      );
      await migration.up(runner);
    } finally {
      await runner.release();
    }
    const rows = await db.query<{ target: string; service: string | null }>(
      `SELECT target, service FROM audit_events WHERE target IN ('release:ledger/l-1', 'environment:ledger/staging', 'flag:x')`,
    );
    expect(Object.fromEntries(rows.map((r) => [r.target, r.service]))).toEqual({
      'release:ledger/l-1': 'ledger',
      'environment:ledger/staging': 'ledger',
      'flag:x': null,
    });
    // Rows written by the app before the down/up kept (or regained) their service.
    expect((await changes('service=quotes')).items).toHaveLength(5);
    expect((await changes('service=ledger')).items.map((c) => c.action).sort()).toEqual(['environment.rollback.requested', 'rollout.failed']);
  });
});
