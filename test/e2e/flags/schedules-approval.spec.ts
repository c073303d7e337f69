import { ApiClient } from '../../support/api-client';
import { addPerson, setUpFirstAdmin, signIn as signInAt, type SessionClient } from '../../support/people';
import { startTestServer, waitFor, type TestServer } from '../../support/test-server';

/**
 * A schedule in an environment that requires approval (production on a fresh installation) waits
 * for someone other than its author, fires as the approved change, and fails — recorded, audited,
 * nothing applied — if the flag moved after the approval.
 */
describe('scheduled changes in an environment that requires approval', () => {
  let server: TestServer;
  let admin: ApiClient;
  /** An admin user: schedules, and may approve others' schedules but never their own. */
  let ada: SessionClient;
  /** Approver. */
  let amy: SessionClient;

  const signIn = (email: string) => signInAt(server.url, email);

  beforeAll(async () => {
    server = await startTestServer({ productionApproval: true, env: { SCHEDULE_POLL: '200ms' } });
    admin = new ApiClient(server.url, server.adminToken);
    await setUpFirstAdmin(admin, server.adminToken, 'ada@example.com', 'Ada');
    await addPerson(admin, 'amy@example.com', 'Amy', 'approver');
    [ada, amy] = await Promise.all([signIn('ada@example.com'), signIn('amy@example.com')]);
    for (const key of ['approved-launch', 'moved-launch']) expect((await admin.post('/api/v1/flags', { key, type: 'boolean' })).status).toBe(201);
  });
  afterAll(async () => {
    await server?.close();
  });

  const scheduleOf = async (id: string) => (await admin.get(`/api/v1/schedules/${id}`)).body;
  const auditOf = async (flag: string) => (await admin.get(`/api/v1/audit?target=${encodeURIComponent(`flag:${flag}`)}&limit=100`)).body.items as any[];

  it('waits for another person’s approval, then fires as the approved change', async () => {
    const runAt = new Date(Date.now() + 1500);
    const made = await ada.post('/api/v1/flags/approved-launch/schedules', {
      environment: 'production',
      runAt: runAt.toISOString(),
      change: { enabled: true },
    });
    expect(made.status).toBe(201);
    expect(made.body).toMatchObject({ state: 'awaiting-approval', author: 'user:ada@example.com', approvedBy: null });

    const own = await ada.post(`/api/v1/schedules/${made.body.id}/approve`, {});
    expect(own.status).toBe(403);
    expect(own.body.error.code).toBe('FOUR_EYES');

    const approved = await amy.post(`/api/v1/schedules/${made.body.id}/approve`, { comment: 'launch window agreed' });
    expect(approved.status).toBe(200);
    const version = (await admin.get('/api/v1/flags/approved-launch')).body.version;
    expect(approved.body).toMatchObject({ state: 'pending', approvedBy: 'user:amy@example.com', approvedVersion: version });

    const done = await waitFor(
      async () => {
        const s = await scheduleOf(made.body.id);
        return s.state === 'fired' && s;
      },
      10_000,
      'the approved schedule to fire',
    );
    expect(done.lateMs).toBeLessThan(1000);
    const flag = (await admin.get('/api/v1/flags/approved-launch')).body;
    expect(flag.environments.production.enabled).toBe(true);
    const write = (await auditOf('approved-launch')).find((e) => e.action === 'flag.toggled' || e.action === 'flag.environment.updated');
    expect(write.meta.approval).toEqual({ changeRequest: made.body.id, approvedBy: 'user:amy@example.com' });
  });

  it('fails with the reason recorded and nothing applied when the flag moved after approval', async () => {
    const runAt = new Date(Date.now() + 1500);
    const made = await ada.post('/api/v1/flags/moved-launch/schedules', { environment: 'production', runAt: runAt.toISOString(), change: { enabled: true } });
    expect(made.status).toBe(201);
    expect((await amy.post(`/api/v1/schedules/${made.body.id}/approve`, {})).status).toBe(200);
    // Someone edits the flag (another environment) after the approval.
    expect((await admin.post('/api/v1/flags/moved-launch/environments/development/toggle', {})).status).toBe(200);
    const moved = (await admin.get('/api/v1/flags/moved-launch')).body;

    const done = await waitFor(
      async () => {
        const s = await scheduleOf(made.body.id);
        return s.state === 'failed' && s;
      },
      10_000,
      'the schedule to fail',
    );
    expect(done.failure).toMatch(new RegExp(`moved to version ${moved.version} since it was approved at version ${moved.version - 1}`));
    const after = (await admin.get('/api/v1/flags/moved-launch')).body;
    expect(after.version).toBe(moved.version);
    expect(after.environments.production.enabled).toBe(false);
    const failed = (await auditOf('moved-launch')).filter((e) => e.action === 'flag.schedule.failed');
    expect(failed).toHaveLength(1);
    expect(failed[0].meta.reason).toBe(done.failure);
  });

  it('cannot approve or cancel a schedule that is already closed', async () => {
    const [closed] = (await admin.get('/api/v1/schedules?flag=moved-launch&state=failed')).body.items;
    const approve = await amy.post(`/api/v1/schedules/${closed.id}/approve`, {});
    expect(approve.status).toBe(409);
    expect(approve.body.error.code).toBe('SCHEDULE_CLOSED');
    expect((await admin.delete(`/api/v1/schedules/${closed.id}`)).status).toBe(409);
  });
});
