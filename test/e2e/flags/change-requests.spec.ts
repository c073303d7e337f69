import { ApprovalRequiredError, FlagsService } from '@switchyard/flags';
import { ApiClient } from '../../support/api-client';
import { addPerson, setUpFirstAdmin, signIn as signInAt, type SessionClient } from '../../support/people';
import { startTestServer, type TestServer } from '../../support/test-server';
import { WebhookReceiver } from '../rollout/rollout-fixture';

/**
 * Four-eyes change requests on a fresh installation, where production requires approval: writes
 * there wait for someone else's approval, apply exactly what was reviewed or nothing, and every
 * state change is on the audit trail and the timeline.
 */
describe('change requests', () => {
  let server: TestServer;
  let hooks: WebhookReceiver;
  let admin: ApiClient;
  /** Editor (flags:write, no approve). */
  let ed: SessionClient;
  /** Approver (approve, no flags:write). */
  let amy: SessionClient;
  /** An admin user: may write and approve, but never their own requests. */
  let ada: SessionClient;

  const signIn = (email: string) => signInAt(server.url, email);

  beforeAll(async () => {
    hooks = await WebhookReceiver.start();
    server = await startTestServer({ productionApproval: true, env: { WEBHOOK_URLS: hooks.url } });
    admin = new ApiClient(server.url, server.adminToken);
    await setUpFirstAdmin(admin, server.adminToken, 'ada@example.com', 'Ada');
    for (const [email, role] of [
      ['ed@example.com', 'editor'],
      ['amy@example.com', 'approver'],
    ]) {
      await addPerson(admin, email, email, role);
    }
    [ed, amy, ada] = await Promise.all([signIn('ed@example.com'), signIn('amy@example.com'), signIn('ada@example.com')]);
  });
  afterAll(async () => {
    await server?.close();
    await hooks?.stop();
  });

  const flagOf = async (key: string) => (await admin.get(`/api/v1/flags/${key}`)).body;
  const auditOf = async (target: string) => (await admin.get(`/api/v1/audit?target=${encodeURIComponent(target)}&limit=50`)).body.items as any[];

  it('marks production as requiring approval on a fresh installation, and lets an admin set it per environment', async () => {
    const envs = (await admin.get('/api/v1/environments')).body.items;
    expect(envs.find((e: any) => e.key === 'production')).toMatchObject({ requireApproval: true, killSwitchSkipsApproval: false });
    expect(envs.find((e: any) => e.key === 'staging')).toMatchObject({ requireApproval: false, killSwitchSkipsApproval: false });
    const bad = await admin.patch('/api/v1/environments/staging', { requireApproval: 'yes' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details[0].path).toBe('requireApproval');
  });

  it('turns a production write into a pending request (202) and writes nothing; other environments write at once', async () => {
    await ed.post('/api/v1/flags', { key: 'cr.pending', type: 'boolean' });
    const before = await flagOf('cr.pending');
    // The confirm header no longer lets the author through where approval is required.
    const res = await ed.post('/api/v1/flags/cr.pending/environments/production/toggle', { enabled: true }, { 'x-switchyard-confirm': 'production' });
    expect(res.status).toBe(202);
    expect(res.headers.get('etag')).toBeNull();
    expect(res.body.changeRequest).toMatchObject({
      state: 'pending',
      target: { kind: 'flag', key: 'cr.pending' },
      environments: ['production'],
      baseVersion: before.version,
      author: 'user:ed@example.com',
      summary: ['Production: turns ON'],
      operation: { kind: 'environment', environment: 'production', config: { enabled: true } },
    });
    expect(await flagOf('cr.pending')).toEqual(before);
    expect((await ed.post('/api/v1/flags/cr.pending/environments/staging/toggle', { enabled: true })).status).toBe(200);

    const listed = await admin.get('/api/v1/change-requests?state=pending&flag=cr.pending');
    expect(listed.body.items.map((r: any) => r.id)).toEqual([res.body.changeRequest.id]);
    expect((await auditOf('flag:cr.pending')).map((e) => e.action)).toContain('change-request.opened');
  });

  it('never lets the author approve: not in person, not through a token the author created', async () => {
    await ada.post('/api/v1/flags', { key: 'cr.four-eyes', type: 'boolean' });
    const request = (await ada.post('/api/v1/flags/cr.four-eyes/environments/production/toggle', { enabled: true })).body.changeRequest;
    const refused = await ada.post(`/api/v1/change-requests/${request.id}/approve`, { comment: 'lgtm' });
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('FOUR_EYES');

    const created = await ada.post('/api/v1/tokens', { name: 'ada-ci', scopes: ['approve', 'flags:write'] });
    expect(created.status).toBe(201);
    const adasToken = admin.withToken(created.body.secret);
    const byToken = await adasToken.post(`/api/v1/change-requests/${request.id}/approve`, {});
    expect(byToken.status).toBe(403);
    expect(byToken.body.error.code).toBe('FOUR_EYES');
    // A token made by a token Ada made is still Ada's.
    const adasAdminToken = admin.withToken((await ada.post('/api/v1/tokens', { name: 'ada-admin', scopes: ['admin'] })).body.secret);
    const bot = admin.withToken(await adasAdminToken.token_('ada-bot', ['approve']));
    expect((await bot.post(`/api/v1/change-requests/${request.id}/approve`, {})).body.error.code).toBe('FOUR_EYES');
    // Nor the other way round: a request made through Ada's token is Ada's.
    const viaToken = (await adasToken.patch('/api/v1/flags/cr.four-eyes/environments/production', { offVariant: 'on' })).body.changeRequest;
    expect((await ada.post(`/api/v1/change-requests/${viaToken.id}/approve`, {})).body.error.code).toBe('FOUR_EYES');
    // An editor lacks the approve scope altogether.
    expect((await ed.post(`/api/v1/change-requests/${request.id}/approve`, {})).status).toBe(403);
    expect((await flagOf('cr.four-eyes')).environments.production.enabled).toBe(false);
    expect((await admin.get(`/api/v1/change-requests/${request.id}`)).body.state).toBe('pending');
  });

  it("applies exactly the reviewed change on another person's approval, marked in the audit, and refuses a second approval", async () => {
    await ed.post('/api/v1/flags', { key: 'cr.apply', type: 'boolean' });
    const opened = await ed.patch(
      '/api/v1/flags/cr.apply/environments/production',
      {
        enabled: true,
        rules: [{ conditions: [{ attribute: 'country', operator: 'in', values: ['NO'] }], serve: { variant: 'on' } }],
        defaultServe: {
          rollout: [
            { variant: 'on', weight: 25000 },
            { variant: 'off', weight: 75000 },
          ],
        },
      },
      { 'x-switchyard-comment': 'Nordics first' },
    );
    expect(opened.status).toBe(202);
    const request = opened.body.changeRequest;
    // The generated rule id and rollout salt are part of what is reviewed.
    expect(request.after.rules[0].id).toEqual(expect.any(String));
    expect(request.after.defaultServe.salt).toEqual(expect.any(String));

    const approved = await amy.post(`/api/v1/change-requests/${request.id}/approve`, { comment: 'ok for Nordics' });
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({
      state: 'applied',
      reviewer: 'user:amy@example.com',
      reviewComment: 'ok for Nordics',
      appliedVersion: request.baseVersion + 1,
    });
    const flag = await flagOf('cr.apply');
    expect(flag.version).toBe(request.baseVersion + 1);
    const { version: _v, updatedAt: _u, ...production } = flag.environments.production;
    expect(production).toEqual(request.operation.config);

    const events = await auditOf('flag:cr.apply');
    const write = events.find((e) => e.action === 'flag.environment.updated' && e.environment === 'production');
    expect(write).toMatchObject({
      actor: 'user:ed@example.com',
      comment: 'Nordics first',
      meta: { approval: { changeRequest: request.id, approvedBy: 'user:amy@example.com' } },
    });
    expect(write.summary).toContain(`Approved by user:amy@example.com (change request ${request.id})`);
    expect(events.map((e) => e.action)).toEqual(expect.arrayContaining(['change-request.opened', 'change-request.approved']));
    const timeline = (await admin.get('/api/v1/changes?environment=production&limit=100')).body.items as any[];
    expect(timeline.filter((c) => c.target === 'flag:cr.apply').map((c) => c.action)).toEqual(
      expect.arrayContaining(['change-request.opened', 'change-request.approved', 'flag.environment.updated']),
    );

    // The receivers rollouts notify hear it too.
    const hook = await hooks.waitFor('the approval', (e) => e.event === 'change-request.approved' && e.changeRequestId === request.id);
    expect(hook).toMatchObject({ target: 'flag:cr.apply', environments: ['production'], state: 'applied', actor: 'user:amy@example.com' });
    expect(hooks.received.some((e) => e.event === 'change-request.opened' && e.changeRequestId === request.id)).toBe(true);

    const again = await amy.post(`/api/v1/change-requests/${request.id}/approve`, {});
    expect(again.status).toBe(409);
    expect(again.body.error).toMatchObject({ code: 'CHANGE_REQUEST_CLOSED', details: [{ path: 'state', problem: 'is applied' }] });
  });

  it('applies prerequisites as reviewed, including taking them away', async () => {
    await ed.post('/api/v1/flags', { key: 'cr.parent', type: 'boolean' });
    await ed.post('/api/v1/flags', { key: 'cr.child', type: 'boolean' });
    const prerequisites = [{ flag: 'cr.parent', variants: ['on'] }];
    const add = (await ed.patch('/api/v1/flags/cr.child/environments/production', { prerequisites })).body.changeRequest;
    expect((await amy.post(`/api/v1/change-requests/${add.id}/approve`, {})).status).toBe(200);
    expect((await flagOf('cr.child')).environments.production.prerequisites).toEqual(prerequisites);
    const remove = (await ed.patch('/api/v1/flags/cr.child/environments/production', { prerequisites: [] })).body.changeRequest;
    expect((await amy.post(`/api/v1/change-requests/${remove.id}/approve`, {})).status).toBe(200);
    expect((await flagOf('cr.child')).environments.production.prerequisites ?? []).toEqual([]);
  });

  it('fails a stale request with 409 and writes nothing; the author rebases with a new request', async () => {
    await ed.post('/api/v1/flags', { key: 'cr.stale', type: 'boolean' });
    const request = (await ed.post('/api/v1/flags/cr.stale/environments/production/toggle', { enabled: true })).body.changeRequest;
    // The flag moves meanwhile (any environment bumps its version).
    expect((await admin.patch('/api/v1/flags/cr.stale/environments/staging', { enabled: true })).status).toBe(200);
    const moved = await flagOf('cr.stale');

    const stale = await amy.post(`/api/v1/change-requests/${request.id}/approve`, {});
    expect(stale.status).toBe(409);
    expect(stale.body.error).toMatchObject({ code: 'CHANGE_REQUEST_STALE', currentVersion: moved.version });
    expect(stale.body.error.details).toEqual([{ path: 'baseVersion', problem: `is ${request.baseVersion} but the current version is ${moved.version}` }]);
    expect(await flagOf('cr.stale')).toEqual(moved);
    expect((await admin.get(`/api/v1/change-requests/${request.id}`)).body.state).toBe('stale');
    const twice = await amy.post(`/api/v1/change-requests/${request.id}/approve`, {});
    expect(twice.body.error).toMatchObject({ code: 'CHANGE_REQUEST_CLOSED', details: [{ path: 'state', problem: 'is stale' }] });

    const rebased = (await ed.post('/api/v1/flags/cr.stale/environments/production/toggle', { enabled: true })).body.changeRequest;
    expect(rebased.baseVersion).toBe(moved.version);
    expect((await amy.post(`/api/v1/change-requests/${rebased.id}/approve`, {})).status).toBe(200);
    expect((await flagOf('cr.stale')).environments.production.enabled).toBe(true);
  });

  it('applies one of two concurrent approvals against the same version, never both and never half', async () => {
    await ed.post('/api/v1/flags', { key: 'cr.race', type: 'boolean' });
    const first = (await ed.patch('/api/v1/flags/cr.race/environments/production', { enabled: true, offVariant: 'on' })).body.changeRequest;
    const second = (await ed.patch('/api/v1/flags/cr.race/environments/production', { enabled: true, defaultServe: { variant: 'off' } })).body.changeRequest;
    expect(first.baseVersion).toBe(second.baseVersion);
    const answers = await Promise.all([first, second].map((r) => amy.post(`/api/v1/change-requests/${r.id}/approve`, {})));
    expect(answers.map((a) => a.status).sort()).toEqual([200, 409]);
    const winner = answers[0].status === 200 ? first : second;
    const flag = await flagOf('cr.race');
    expect(flag.version).toBe(first.baseVersion + 1);
    const { version: _v, updatedAt: _u, ...production } = flag.environments.production;
    expect(production).toEqual(winner.operation.config);
  });

  it('lets the author withdraw, and an approver reject with a comment (required)', async () => {
    await ed.post('/api/v1/flags', { key: 'cr.decide', type: 'boolean' });
    const a = (await ed.post('/api/v1/flags/cr.decide/environments/production/toggle', {})).body.changeRequest;
    const b = (await ed.post('/api/v1/flags/cr.decide/environments/production/toggle', {})).body.changeRequest;

    const other = await admin.post(`/api/v1/change-requests/${a.id}/withdraw`, {});
    expect(other.status).toBe(403);
    const withdrawn = await ed.post(`/api/v1/change-requests/${a.id}/withdraw`, { comment: 'wrong flag' });
    expect(withdrawn.body).toMatchObject({ state: 'withdrawn', reviewer: 'user:ed@example.com', reviewComment: 'wrong flag' });

    const noReason = await amy.post(`/api/v1/change-requests/${b.id}/reject`, {});
    expect(noReason.status).toBe(400);
    expect(noReason.body.error.details[0].path).toBe('comment');
    const tooLong = await amy.post(`/api/v1/change-requests/${b.id}/reject`, { comment: 'x'.repeat(1001) });
    expect(tooLong.body.error.details[0].path).toBe('comment');
    const rejected = await amy.post(`/api/v1/change-requests/${b.id}/reject`, { comment: 'not during the sale' });
    expect(rejected.body).toMatchObject({ state: 'rejected', reviewComment: 'not during the sale' });
    expect((await flagOf('cr.decide')).environments.production.enabled).toBe(false);
    expect((await auditOf('flag:cr.decide')).map((e) => e.action)).toEqual(expect.arrayContaining(['change-request.withdrawn', 'change-request.rejected']));
  });

  it('lets turning a flag off skip approval where the environment allows a kill switch, and says so in the audit', async () => {
    await ed.post('/api/v1/flags', { key: 'cr.kill', type: 'boolean' });
    const on = (await ed.post('/api/v1/flags/cr.kill/environments/production/toggle', { enabled: true })).body.changeRequest;
    await amy.post(`/api/v1/change-requests/${on.id}/approve`, {});
    // Without the setting, turning off waits like any change.
    expect((await ed.post('/api/v1/flags/cr.kill/environments/production/toggle', { enabled: false })).status).toBe(202);

    expect((await admin.patch('/api/v1/environments/production', { killSwitchSkipsApproval: true })).body.killSwitchSkipsApproval).toBe(true);
    try {
      const off = await ed.post('/api/v1/flags/cr.kill/environments/production/toggle', { enabled: false });
      expect(off.status).toBe(200);
      expect(off.body.environments.production.enabled).toBe(false);
      const event = (await auditOf('flag:cr.kill')).find((e) => e.action === 'flag.toggled');
      expect(event.meta.approval).toEqual({ killSwitch: true });
      expect(event.summary).toEqual(['Production: turns OFF', 'Kill switch: turned off without approval']);
      // Only turning off: turning on (or off with another change) still needs approval.
      expect((await ed.post('/api/v1/flags/cr.kill/environments/production/toggle', { enabled: true })).status).toBe(202);
      expect((await ed.patch('/api/v1/flags/cr.kill/environments/production', { enabled: false, offVariant: 'on' })).status).toBe(202);
    } finally {
      await admin.patch('/api/v1/environments/production', { killSwitchSkipsApproval: false });
    }
  });

  it("lets a release's flag-release step through, covered by the release's approval", async () => {
    await ed.post('/api/v1/flags', { key: 'cr.release', type: 'boolean' });
    const flags = server.app.get(FlagsService);
    await expect(flags.patchEnvironment('cr.release', 'production', { enabled: true }, { actor: 'system:rollout' })).rejects.toBeInstanceOf(
      ApprovalRequiredError,
    );
    const written = await flags.patchEnvironment('cr.release', 'production', { enabled: true }, { actor: 'system:rollout', coveredByRelease: 'rel-7' });
    expect(written.environments.production.enabled).toBe(true);
    expect((await auditOf('flag:cr.release'))[0]).toMatchObject({ actor: 'system:rollout', meta: { approval: { coveredByRelease: 'rel-7' } } });
  });

  it('asks approval for segment changes that reach production flags, not for segments production does not use', async () => {
    await admin.post('/api/v1/segments', { key: 'cr-beta', conditions: [{ attribute: 'plan', operator: 'in', values: ['beta'] }] });
    await admin.post('/api/v1/segments', { key: 'cr-unused', conditions: [{ attribute: 'plan', operator: 'in', values: ['x'] }] });
    await ed.post('/api/v1/flags', { key: 'cr.segmented', type: 'boolean' });
    const use = (
      await ed.patch('/api/v1/flags/cr.segmented/environments/production', {
        rules: [{ conditions: [{ attribute: '', operator: 'in_segment', values: ['cr-beta'] }], serve: { variant: 'on' } }],
      })
    ).body.changeRequest;
    expect((await amy.post(`/api/v1/change-requests/${use.id}/approve`, {})).status).toBe(200);

    const change = { conditions: [{ attribute: 'plan', operator: 'in', values: ['beta', 'pilot'] }] };
    const pending = await ed.patch('/api/v1/segments/cr-beta', change);
    expect(pending.status).toBe(202);
    expect(pending.body.changeRequest).toMatchObject({
      target: { kind: 'segment', key: 'cr-beta' },
      environments: ['production'],
      operation: { kind: 'segment' },
    });
    expect((await admin.get('/api/v1/segments/cr-beta')).body.conditions[0].values).toEqual(['beta']);
    expect((await amy.post(`/api/v1/change-requests/${pending.body.changeRequest.id}/approve`, {})).status).toBe(200);
    expect((await admin.get('/api/v1/segments/cr-beta')).body.conditions[0].values).toEqual(['beta', 'pilot']);

    expect((await ed.patch('/api/v1/segments/cr-unused', change)).status).toBe(200);
  });

  it('answers bad input with a 4xx naming the field', async () => {
    const state = await admin.get('/api/v1/change-requests?state=open');
    expect(state.status).toBe(400);
    expect(state.body.error.details[0].path).toBe('state');
    const id = await admin.get('/api/v1/change-requests/not-an-id');
    expect(id.status).toBe(400);
    expect(id.body.error.details[0].path).toBe('id');
    expect((await amy.post('/api/v1/change-requests/00000000-0000-4000-8000-000000000000/approve', {})).status).toBe(404);
    const extra = await amy.post('/api/v1/change-requests/00000000-0000-4000-8000-000000000000/approve', { comment: 'ok', force: true });
    expect(extra.status).toBe(400);
    expect(extra.body.error.details[0].path).toBe('force');
    // A new flag's production targeting cannot skip the queue: create it, then request the change.
    const create = await ed.post('/api/v1/flags', { key: 'cr.create', type: 'boolean', environments: { production: { enabled: true } } });
    expect(create.status).toBe(409);
    expect(create.body.error.code).toBe('APPROVAL_REQUIRED');
  });
});
