import { FIXED_SCOPES, ROLES, ROLE_SCOPES, routeAllows, type Role } from '@switchyard/auth';
import { Database } from '@switchyard/persistence';
import { ApiClient } from '../../support/api-client';
import { concretePath, declaredRoutes, type Route } from '../../support/declared-routes';
import { startTestServer, type TestServer } from '../../support/test-server';
import { startCluster } from '../rollout/rollout-fixture';

/**
 * Every route the server has, called with no credentials, with a token of every kind, a revoked
 * token, a signed-in user of every role and a session without its CSRF token. The expected answer
 * is derived from the server's own declarations (@Public / @Scopes / @TargetsEnvironment), the guard's
 * own `routeAllows()` and ROLE_SCOPES, so
 * routes, scopes and roles added later are covered without touching this file. After every answer
 * of 400 or more the database must be exactly as before: nothing refused changes state.
 */

interface Caller {
  name: string;
  /** Scopes the caller holds; undefined = none at all (anonymous, revoked, no CSRF). */
  scopes?: readonly string[];
  /** A person's per-environment role overrides, as scopes per environment. */
  environmentScopes?: Record<string, string[]>;
  /** What a refusal must look like when the caller holds none of the route's scopes. */
  refusal: 401 | 403;
  headers(method: string): Record<string, string>;
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const GUARD_UNAUTHENTICATED = 'a valid bearer token or session is required';
// Columns a permitted read may touch (token use is recorded at most once a minute).
const VOLATILE_COLUMNS = ['last_used_at'];

interface Answer {
  status: number;
  code?: string;
  message?: string;
}

// Path parameters name resources that exist (PROBE), so a refused DELETE or PATCH has something to spoil.
const PROBE = 'scope-matrix-probe';

async function call(baseUrl: string, route: Route, caller: Caller): Promise<Answer> {
  const controller = new AbortController();
  const hasBody = route.method === 'POST' || route.method === 'PATCH' || route.method === 'PUT';
  const res = await fetch(`${baseUrl}${concretePath(route.path, { key: PROBE, name: PROBE })}`, {
    method: route.method,
    headers: { ...caller.headers(route.method), ...(hasBody ? { 'content-type': 'application/json' } : {}) },
    body: hasBody ? '{}' : undefined,
    signal: controller.signal,
  });
  const type = res.headers.get('content-type') ?? '';
  if (type.includes('text/event-stream')) {
    controller.abort();
    return { status: res.status };
  }
  const text = await res.text();
  if (!type.includes('json') || !text) return { status: res.status };
  const error = (JSON.parse(text) as { error?: { code?: string; message?: string } }).error;
  return { status: res.status, code: error?.code, message: error?.message };
}

/** One digest per table of the whole record, read in a single statement. */
async function recordDigest(server: TestServer): Promise<Record<string, string>> {
  const db = server.app.get(Database);
  const tables = await db.query<{ table_name: string }>(
    `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`,
  );
  const strip = VOLATILE_COLUMNS.map((column) => ` - '${column}'`).join('');
  const sql = tables
    .map(
      ({ table_name }) =>
        `SELECT '${table_name}' AS t, md5(coalesce(string_agg((to_jsonb(x)${strip})::text, '|' ORDER BY (to_jsonb(x)${strip})::text), '')) AS d FROM "${table_name}" x`,
    )
    .join(' UNION ALL ');
  const rows = await db.query<{ t: string; d: string }>(sql);
  return Object.fromEntries(rows.map((row) => [row.t, row.d]));
}

function changedTables(before: Record<string, string>, after: Record<string, string>): string[] {
  return Object.keys({ ...before, ...after }).filter((table) => before[table] !== after[table]);
}

describe('security matrix: every route × every token kind, role and no credentials', () => {
  let server: TestServer;
  let cluster: Awaited<ReturnType<typeof startCluster>>;
  let admin: ApiClient;
  let routes: Route[];
  const callers: Caller[] = [];

  /** Puts back the probe flag, segment and mirror route a permitted DELETE removed. */
  async function ensureProbes(): Promise<void> {
    const probes: Array<[string, unknown]> = [
      ['/api/v1/flags', { key: PROBE, type: 'boolean' }],
      ['/api/v1/segments', { key: PROBE, name: 'Probe', conditions: [{ attribute: 'email', operator: 'ends_with', values: ['@example.com'] }] }],
      [
        '/api/v1/mirror/routes',
        { name: PROBE, match: { host: 'probe.test' }, primary: 'http://127.0.0.1:9', candidate: 'http://127.0.0.1:9', sample: { percent: 1 } },
      ],
    ];
    for (const [collection, body] of probes) {
      if ((await admin.get(`${collection}/${PROBE}`)).status === 200) continue;
      const created = await admin.post(collection, body);
      if (created.status !== 201) throw new Error(`probe ${collection}: ${created.status} ${JSON.stringify(created.body)}`);
    }
  }

  async function signIn(email: string, password: string): Promise<{ cookie: string; csrf: string }> {
    const res = await fetch(`${server.url}/api/v1/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password }),
    });
    if (res.status !== 200) throw new Error(`sign-in of ${email} failed: ${res.status}`);
    const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0];
    const { csrfToken } = (await res.json()) as { csrfToken: string };
    return { cookie, csrf: csrfToken };
  }

  beforeAll(async () => {
    cluster = await startCluster();
    server = await startTestServer({ env: { KUBECONFIG: cluster.kubeconfig, MIRROR_ALLOWED_TARGETS: '127.0.0.1' } });
    admin = new ApiClient(server.url, server.adminToken);
    routes = declaredRoutes(server);

    callers.push({ name: 'none', refusal: 401, headers: () => ({}) });
    // Fixed scopes, an SDK token, proxy tokens bound to the probe route and to another route, and a browser's client token.
    const tokenScopes = [...FIXED_SCOPES, 'sdk:production', `mirror:report:${PROBE}`, 'mirror:report:elsewhere', 'client:production'];
    for (const scope of tokenScopes) {
      const secret = scope === 'admin' ? server.adminToken : await admin.token_(`matrix-${scope.replace(/[^a-z0-9-]/g, '-')}`, [scope]);
      callers.push({ name: `token ${scope}`, scopes: [scope], refusal: 403, headers: () => ({ authorization: `Bearer ${secret}` }) });
    }
    const revoked = await admin.post('/api/v1/tokens', { name: 'matrix-revoked', scopes: ['admin'] });
    expect((await admin.delete(`/api/v1/tokens/${revoked.body.token.id as string}`)).status).toBeLessThan(300);
    callers.push({ name: 'revoked admin token', refusal: 401, headers: () => ({ authorization: `Bearer ${revoked.body.secret as string}` }) });

    // People: the first admin through setup, then one user per role.
    const password = 'correct horse battery staple';
    const setup = await admin.post('/api/v1/setup', { adminToken: server.adminToken, email: 'root@example.com', name: 'Root', password });
    expect(setup.status).toBe(201);
    const root = await signIn('root@example.com', password);
    for (const role of ROLES) {
      const email = `${role}@example.com`;
      const created = await admin.post('/api/v1/users', { email, name: role, role, password });
      expect(created.status).toBe(201);
      const session = await signIn(email, password);
      callers.push({
        name: `user ${role}`,
        scopes: ROLE_SCOPES[role as Role],
        refusal: 403,
        headers: (method) => ({ cookie: session.cookie, ...(UNSAFE.has(method) ? { 'x-csrf-token': session.csrf } : {}) }),
      });
    }
    // Per-environment roles and environment-limited tokens. Paths name `development` (concretePath); a
    // route that writes every environment when none is named (restore) needs the scope everywhere.
    const overrides: Array<[Role, Record<string, Role>]> = [
      ['viewer', { development: 'editor' }],
      ['editor', { development: 'viewer' }],
      ['viewer', { production: 'approver' }],
    ];
    for (const [role, environmentRoles] of overrides) {
      const label = Object.entries(environmentRoles).map(([env, r]) => `${r} in ${env}`)[0];
      const email = `${role}-${label.replace(/ /g, '-')}@example.com`;
      const created = await admin.post('/api/v1/users', { email, name: email, role, environmentRoles, password });
      expect(created.status).toBe(201);
      const session = await signIn(email, password);
      callers.push({
        name: `user ${role}, ${label}`,
        scopes: ROLE_SCOPES[role],
        environmentScopes: Object.fromEntries(Object.entries(environmentRoles).map(([env, r]) => [env, ROLE_SCOPES[r]])),
        refusal: 403,
        headers: (method) => ({ cookie: session.cookie, ...(UNSAFE.has(method) ? { 'x-csrf-token': session.csrf } : {}) }),
      });
    }
    for (const scope of ['flags:write:development', 'approve:production']) {
      const secret = await admin.token_(`matrix-${scope.replace(/[^a-z0-9-]/g, '-')}`, [scope]);
      callers.push({ name: `token ${scope}`, scopes: [scope], refusal: 403, headers: () => ({ authorization: `Bearer ${secret}` }) });
    }
    // A forged cross-site request rides an admin's cookie but cannot know the CSRF token.
    callers.push({ name: 'admin session without CSRF', refusal: 403, headers: () => ({ cookie: root.cookie }) });
  }, 120_000);
  afterAll(async () => {
    await server.close();
    await cluster.dispose();
  });

  it('answers every route with the documented status, and nothing refused changes the record', async () => {
    const failures: string[] = [];
    const rows: string[] = [];
    for (const route of routes) {
      // Signing out would end the session the next routes use; it is covered by the session tests.
      if (route.method === 'DELETE' && route.path === '/api/v1/session') continue;
      await ensureProbes();
      let before = await recordDigest(server);
      const cells: string[] = [];
      for (const caller of callers) {
        const answer = await call(server.url, route, caller);
        const after = await recordDigest(server);
        cells.push(String(answer.status));
        const label = `${route.method} ${route.path} as ${caller.name}`;
        const changed = changedTables(before, after);
        if (answer.status >= 400 && changed.length) failures.push(`${label}: answered ${answer.status} but changed ${changed.join(', ')}`);
        if (answer.status >= 500) failures.push(`${label}: answered ${answer.status} ${answer.code ?? ''}`);
        before = after;

        const refusedByGuard =
          (answer.status === 401 && answer.message === GUARD_UNAUTHENTICATED) ||
          answer.code === 'CSRF_REJECTED' ||
          (answer.status === 403 && (answer.message ?? '').startsWith('requires scope')) ||
          (answer.status === 401 && answer.message === 'the token is unknown or revoked');
        if (route.public) {
          if (refusedByGuard) failures.push(`${label}: public route refused with ${answer.status}`);
          continue;
        }
        const csrfRequired = caller.name === 'admin session without CSRF' && UNSAFE.has(route.method);
        const allowed =
          caller.scopes !== undefined &&
          routeAllows({ scopes: [...caller.scopes], environmentScopes: caller.environmentScopes }, route.scopes, route.environmentTarget, {
            params: { environment: 'development' },
            query: {},
          }).allowed;
        // A proxy token passes the guard on mirror routes; the handler then refuses routes it is not bound to.
        const boundElsewhere = caller.name === 'token mirror:report:elsewhere' && route.path.includes('{name}');
        if (allowed && boundElsewhere && answer.status !== 403) failures.push(`${label}: answered ${answer.status} (expected 403: not its route)`);
        if (allowed && !boundElsewhere && refusedByGuard) failures.push(`${label}: refused with ${answer.status} ${answer.message ?? ''}`);
        if (!allowed && caller.scopes !== undefined && answer.status !== caller.refusal) {
          failures.push(`${label}: answered ${answer.status} (expected ${caller.refusal})`);
        }
        if (caller.scopes === undefined && !csrfRequired && caller.name !== 'admin session without CSRF' && answer.status !== caller.refusal) {
          failures.push(`${label}: answered ${answer.status} (expected ${caller.refusal})`);
        }
        if (csrfRequired && answer.code !== 'CSRF_REJECTED')
          failures.push(`${label}: answered ${answer.status} without the CSRF token (expected 403 CSRF_REJECTED)`);
      }
      rows.push(`${`${route.method} ${route.path}`.padEnd(60)} ${(route.public ? 'public' : route.scopes.join('|')).padEnd(24)} ${cells.join(' ')}`);
    }
    process.stdout.write(`security matrix (${callers.map((c) => c.name).join(' | ')}):\n${rows.join('\n')}\n`);
    expect(failures).toEqual([]);
    // The walk covered the API: every area, and at least the routes there were when this was written.
    expect(routes.length).toBeGreaterThanOrEqual(60);
    expect(callers.length).toBe(1 + FIXED_SCOPES.length + 4 + 1 + ROLES.length + 3 + 2 + 1);
  }, 300_000);

  it('answers a client token on every route without a rule, segment, condition value or another user’s data', async () => {
    const confirm = { 'x-switchyard-confirm': 'production' };
    const segment = await admin.post('/api/v1/segments', {
      key: 'leak-segment',
      name: 'Leak',
      conditions: [{ attribute: 'plan', operator: 'in', values: ['sentinel-segment-value'] }],
    });
    expect(segment.status).toBe(201);
    const flag = await admin.post(
      '/api/v1/flags',
      {
        key: 'leak-probe',
        type: 'boolean',
        environments: {
          production: {
            enabled: true,
            rules: [
              { conditions: [{ attribute: 'email', operator: 'in', values: ['sentinel-alice@corp.example'] }], serve: { variant: 'on' } },
              { conditions: [{ attribute: 'plan', operator: 'in_segment', values: ['leak-segment'] }], serve: { variant: 'on' } },
            ],
          },
        },
      },
      confirm,
    );
    expect(flag.status).toBe(201);
    const ruleIds = (flag.body.environments.production.rules as Array<{ id: string }>).map((rule) => rule.id);
    const origin = 'https://matrix.example';
    const created = await admin.post('/api/v1/tokens', { name: 'matrix-browser', scopes: ['client:production'], allowedOrigins: [origin] });
    const secret = created.body.secret as string;
    const forbidden = ['sentinel-alice@corp.example', 'sentinel-segment-value', 'leak-segment', '"rules"', '"conditions"', '"segments"', ...ruleIds];
    const leaks: string[] = [];
    for (const route of routes) {
      const hasBody = route.method === 'POST' || route.method === 'PATCH' || route.method === 'PUT';
      const controller = new AbortController();
      const res = await fetch(`${server.url}${concretePath(route.path, { key: 'leak-probe', name: PROBE })}`, {
        method: route.method,
        headers: { authorization: `Bearer ${secret}`, origin, ...(hasBody ? { 'content-type': 'application/json' } : {}) },
        body: hasBody ? JSON.stringify({ context: { targetingKey: 'visitor-1', plan: 'free' } }) : undefined,
        signal: controller.signal,
      });
      const text = await firstFrames(res, controller);
      for (const needle of forbidden) if (text.includes(needle)) leaks.push(`${route.method} ${route.path} (${res.status}) contains ${needle}`);
    }
    expect(leaks).toEqual([]);
  }, 120_000);
});

/** The body, or for a stream its opening frames (enough to hold the first values it sends). */
async function firstFrames(res: Response, controller: AbortController): Promise<string> {
  if (!(res.headers.get('content-type') ?? '').includes('text/event-stream')) return res.text();
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  // `retry:` then the first event: two frame ends.
  while (text.split('\n\n').length < 3) {
    const { value, done } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
  }
  controller.abort();
  return text;
}
