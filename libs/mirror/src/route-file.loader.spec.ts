import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadRouteFile, loadRouteFileSettings, parseRouteFile, parseRouteFileSettings, RouteFileError } from './route-file.loader';

const ISSUE_EXAMPLE = `
- name: market-data
  match: { host: market-data.internal, pathPrefix: / }
  primary:   http://market-data.production.svc:8000
  candidate: http://market-data-dark.production.svc:8000
  secondary: http://market-data-b.production.svc:8000
  sample: { flag: mirror.market-data, bucketBy: header:x-user-id }
  methods: [GET, HEAD]
  timeoutMs: 2000
  maxBodyBytes: 1048576
  maxInFlight: 200
  scrubHeaders: [cookie]
  compare:
    ignore: [$.timestamp, $.requestId, header:date]
    unorderedArrays: [$.items]
    headers: [content-type]
  endpoints: ["/quotes/:symbol", "/users/:id"]
`;

function problemsOf(text: string): RouteFileError['problems'] {
  try {
    parseRouteFile(text, 'routes.yml');
  } catch (error) {
    if (error instanceof RouteFileError) return error.problems;
    throw error;
  }
  throw new Error('expected the file to be rejected');
}

describe('parseRouteFile', () => {
  it("reads the issue's example and fills in defaults", () => {
    const [route] = parseRouteFile(ISSUE_EXAMPLE, 'routes.yml');
    expect(route).toMatchObject({
      name: 'market-data',
      match: { host: 'market-data.internal', pathPrefix: '/' },
      sample: { flag: 'mirror.market-data', bucketBy: 'header:x-user-id' },
      allowUnsafeMethods: false,
      compare: { noise: { relativePercent: 20, absolutePercent: 0.03 }, calibration: { percent: 5, minPerEndpoint: 20 } },
      verdict: { minCompared: 500, maxMismatchPercent: 0.1 },
      breaker: { failurePercent: 50, minRequests: 20, openMs: 30000 },
    });
  });

  it('accepts a map with a routes list and minimal routes', () => {
    const routes = parseRouteFile('routes:\n  - name: a\n    primary: http://p:1\n    candidate: http://c:1\n    sample: { percent: 10 }\n', 'r.yml');
    expect(routes[0]).toMatchObject({ methods: ['GET', 'HEAD'], timeoutMs: 2000, maxInFlight: 200, maxBodyBytes: 1048576, match: { pathPrefix: '/' } });
  });

  it('names file, line and field for a bad value', () => {
    const text = ISSUE_EXAMPLE.replace('timeoutMs: 2000', 'timeoutMs: soon');
    expect(problemsOf(text)).toEqual([{ file: 'routes.yml', line: 9, column: 3, field: 'routes[0].timeoutMs', problem: 'expected number, received string' }]);
  });

  it('names unknown fields, unsafe methods, bad paths and missing fields', () => {
    const text = [
      '- name: a',
      '  primary: http://p:1',
      '  candidate: ftp://c:1',
      '  sample: { percent: 150 }',
      '  methods: [GET, POST]',
      '  compare:',
      '    ignore: [timestamp]',
      '    unordered: [$.items]',
      '- name: b',
      '  candidate: http://c:1',
      '  sample: { percent: 5, flag: f }',
    ].join('\n');
    const problems = problemsOf(text).map((p) => `${p.line}:${p.column} ${p.field}: ${p.problem}`);
    expect(problems).toEqual([
      '3:3 routes[0].candidate: must be an http:// or https:// URL',
      '4:13 routes[0].sample.percent: Too big: expected number to be <=100',
      '5:18 routes[0].methods[1]: POST changes state; mirroring it needs allowUnsafeMethods: true',
      '7:14 routes[0].compare.ignore[0]: a path starts with $ (e.g. $.timestamp)',
      '8:5 routes[0].compare.unordered: unknown field',
      '9:3 routes[1].primary: is required',
      '11:3 routes[1].sample: set exactly one of percent (0–100) or flag (a flag key)',
    ]);
  });

  it('allows unsafe methods when asked', () => {
    const routes = parseRouteFile(
      '- {name: a, primary: "http://p", candidate: "http://c", sample: {percent: 1}, methods: [post], allowUnsafeMethods: true}',
      'r.yml',
    );
    expect(routes[0].methods).toEqual(['POST']);
  });

  it('rejects duplicate names and identical matches', () => {
    const route = (name: string) => `- {name: ${name}, primary: "http://p", candidate: "http://c", sample: {percent: 1}, match: {host: h}}`;
    const problems = problemsOf([route('a'), route('a')].join('\n'));
    expect(problems.map((p) => `${p.line} ${p.field}: ${p.problem}`)).toEqual([
      '2 routes[1].name: duplicate route name (also route 0)',
      '2 routes[1].match: matches exactly the same requests as route 0 (a)',
    ]);
  });

  it('reports YAML syntax errors with their position', () => {
    const [problem] = problemsOf('- name: a\n  primary: [unclosed\n');
    expect(problem).toMatchObject({ file: 'routes.yml', field: '(syntax)' });
    expect(problem.line).toBeGreaterThan(0);
  });

  it('rejects a file that is not a list of routes', () => {
    expect(problemsOf('name: a\n')[0]).toMatchObject({ line: 1, field: '(file)', problem: 'expected a list of routes (or a map with a "routes" list)' });
    expect(problemsOf('routes: []\nport: 1\n')[0]).toMatchObject({ line: 2, field: 'port', problem: 'unknown field' });
    expect(problemsOf('')[0]).toMatchObject({ field: '(file)' });
  });

  describe('tls:', () => {
    const ROUTE = 'routes:\n  - { name: a, primary: "http://p", candidate: "http://c", sample: { percent: 1 } }\n';

    it('resolves cert and key against the route file, and leaves the routes as they were', () => {
      const settings = parseRouteFileSettings(`tls:\n  cert: certs/live.crt\n  key: /etc/tls/live.key\n${ROUTE}`, '/etc/switchyard/routes.yml');
      expect(settings.tls).toEqual({
        cert: 'certs/live.crt',
        key: '/etc/tls/live.key',
        certFile: '/etc/switchyard/certs/live.crt',
        keyFile: '/etc/tls/live.key',
      });
      expect(settings.routes.map((route) => route.name)).toEqual(['a']);
      // The routes-only readers (the file watcher) accept the same file.
      expect(parseRouteFile(`tls: { cert: c.pem, key: k.pem }\n${ROUTE}`, 'r.yml')).toHaveLength(1);
      expect(parseRouteFileSettings(ROUTE, 'r.yml').tls).toBeUndefined();
    });

    it('names the tls field at fault, with its line', () => {
      const problems = (text: string) => problemsOf(text).map((p) => `${p.line}:${p.column} ${p.field}: ${p.problem}`);
      expect(problems(`tls:\n  cert: c.pem\n${ROUTE}`)).toEqual(['1:1 tls.key: is required (a PEM file path)']);
      expect(problems(`tls:\n  cert: c.pem\n  key: ""\n  ca: ca.pem\n${ROUTE}`)).toEqual(['3:3 tls.key: must be a file path', '4:3 tls.ca: unknown field']);
      expect(problems(`tls: c.pem\n${ROUTE}`)).toEqual(['1:1 tls: expected a map with cert and key (PEM file paths)']);
      expect(problems(`tls: { cert: 1, key: k.pem }\n${ROUTE}`)).toEqual(['1:8 tls.cert: must be a file path']);
      // Route problems still come with it, in file order.
      expect(problems(`tls: { cert: c.pem }\nroutes:\n  - { name: a, candidate: "http://c", sample: { percent: 1 } }\n`)).toEqual([
        '1:1 tls.key: is required (a PEM file path)',
        '3:5 routes[0].primary: is required',
      ]);
    });

    it('loads it from disk relative to the file', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'routes-'));
      writeFileSync(join(dir, 'routes.yml'), `tls: { cert: live.crt, key: live.key }\n${ROUTE}`);
      await expect(loadRouteFileSettings(join(dir, 'routes.yml'))).resolves.toMatchObject({
        tls: { certFile: join(dir, 'live.crt'), keyFile: join(dir, 'live.key') },
      });
    });
  });

  it('loads from disk and says when it cannot', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'routes-'));
    writeFileSync(join(dir, 'routes.yml'), ISSUE_EXAMPLE);
    await expect(loadRouteFile(join(dir, 'routes.yml'))).resolves.toHaveLength(1);
    await expect(loadRouteFile(join(dir, 'missing.yml'))).rejects.toThrow(/missing\.yml:0:0: \(file\): cannot read/);
  });
});
