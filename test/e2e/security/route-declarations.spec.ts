import { declaredRoutes, type Route } from '../../support/declared-routes';
import { startTestServer, type TestServer } from '../../support/test-server';

/**
 * Every route the server serves is declared (@Public or @Scopes, checked at boot by
 * RouteDeclarationCheck) and documented in OpenAPI unless deliberately excluded. What each
 * declaration means for each caller is checked in security-matrix.spec.ts.
 */

const HTTP_METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

describe('route declarations', () => {
  let server: TestServer;
  let routes: Route[];

  beforeAll(async () => {
    server = await startTestServer({ redis: 'none' });
    routes = declaredRoutes(server);
  }, 60_000);
  afterAll(() => server.close());

  it('finds every OpenAPI operation and the hidden routes among the declared routes', async () => {
    const document = (await (await fetch(`${server.url}/api/openapi.json`)).json()) as {
      paths: Record<string, Partial<Record<(typeof HTTP_METHODS)[number], { operationId?: string }>>>;
    };
    const documented: string[] = [];
    for (const [path, item] of Object.entries(document.paths)) {
      for (const method of HTTP_METHODS) {
        const operation = item[method];
        if (!operation) continue;
        documented.push(`${method.toUpperCase()} ${path}`);
        const route = routes.find((r) => r.method === method.toUpperCase() && r.path === path);
        // Each documented operation must be a declared route, so its expectation is known.
        expect({ operation: `${method.toUpperCase()} ${path}`, declared: route?.operationId === operation.operationId }).toEqual({
          operation: `${method.toUpperCase()} ${path}`,
          declared: true,
        });
      }
    }
    const keys = routes.map((r) => `${r.method} ${r.path}`);
    for (const hidden of ['GET /healthz', 'GET /readyz', 'GET /metrics']) expect(keys).toContain(hidden);
    // Undocumented routes must be deliberate (excluded from the docs), not forgotten.
    const undocumented = keys.filter((key) => !documented.includes(key)).sort();
    const excluded = routes.filter((r) => r.excluded).map((r) => `${r.method} ${r.path}`);
    expect(undocumented).toEqual(excluded.sort());
    expect(documented.length).toBeGreaterThanOrEqual(30);
    expect(routes.filter((r) => r.public).map((r) => r.path)).toEqual(expect.arrayContaining(['/healthz', '/readyz', '/metrics']));
  });
});
