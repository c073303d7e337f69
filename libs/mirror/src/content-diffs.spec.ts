import { MirrorAnalysis } from './mirror-analysis';
import { mirrorRouteSchema } from './mirror-route.schema';
import { prepareResponse, type PreparedResponse } from './prepared-response';
import { ResponseComparator } from './response-comparator';

const prepare = (body: string | Buffer, contentType: string | undefined, headers: Record<string, string> = {}) =>
  prepareResponse({ status: 200, headers: { ...(contentType ? { 'content-type': contentType } : {}), ...headers }, body: Buffer.from(body) }, 1 << 20);

const page = (heading: string, at: string, nonce: string) => `<!doctype html>
<html>
<head><title>Orders</title><script nonce="${nonce}">start()</script></head>
<body>
  <h1>${heading}</h1>
  <p class="stamp">Rendered at ${at}</p>
  <form method="post"><input type="hidden" name="csrf" value="${nonce}"><input name="q"></form>
</body>
</html>
`;

const route = mirrorRouteSchema.parse({
  name: 'shop',
  primary: 'http://primary',
  candidate: 'http://candidate',
  secondary: 'http://secondary',
  sample: { percent: 100 },
  endpoints: ['/orders'],
  verdict: { minCompared: 50, maxMismatchPercent: 1 },
});

async function analyse(candidateHeading: (i: number) => string, contentType = 'text/html; charset=utf-8') {
  const analysis = new MirrorAnalysis(route);
  for (let i = 0; i < 60; i++) {
    const endpoint = analysis.endpointOf('GET', '/orders');
    analysis.recordSeen(endpoint);
    analysis.recordSampled(endpoint);
    // Every response renders its own timestamp and nonce; only the heading may really change.
    analysis.record({
      endpoint,
      request: { method: 'GET', url: '/orders', headers: {} },
      primary: await prepare(page('Orders', `10:00:${i}`, `p${i}`), contentType),
      candidate: await prepare(page(candidateHeading(i), `10:01:${i}`, `c${i}`), contentType),
      baseline: await prepare(page('Orders', `10:02:${i}`, `s${i}`), contentType),
      primaryMs: 1,
      candidateMs: 1,
    });
  }
  return analysis.report();
}

describe('diffs for non-JSON content types', () => {
  const comparator = new ResponseComparator(route.compare);

  it('HTML: a page whose only change is a timestamp and a nonce matches after noise cancellation', async () => {
    const [endpoint] = (await analyse(() => 'Orders')).endpoints;
    expect(endpoint).toMatchObject({ compared: 60, mismatched: { raw: 60, afterNoise: 0 }, verdict: 'pass' });
    expect(endpoint.fields.map((f) => [f.field, f.significant])).toEqual(
      expect.arrayContaining([
        ['html:/html/head/script/@nonce', false],
        ['html:/html/body/p', false],
        ['html:/html/body/form/input/@value', false],
      ]),
    );
  });

  it('HTML: a changed heading is reported with its element path and line; the noise stays cancelled', async () => {
    const report = await analyse(() => 'Your orders');
    const [endpoint] = report.endpoints;
    expect(endpoint).toMatchObject({ mismatched: { raw: 60, afterNoise: 60 }, verdict: 'fail' });
    expect(endpoint.fields.filter((f) => f.significant).map((f) => f.field)).toEqual(['html:/html/body/h1']);
    expect(endpoint.fields[0].examples[0]).toMatchObject({ path: 'html:/html/body/h1 (line 5)', kind: 'value', primary: 'Orders', candidate: 'Your orders' });
    // The primary disagrees with itself on these; they come back as ignore rules the schema accepts.
    const rules = report.suggestedIgnores.map((s) => s.rule);
    expect(rules).toEqual(expect.arrayContaining(['html:/html/head/script/@nonce', 'html:/html/body/p']));
    const ignoring = new ResponseComparator(mirrorRouteSchema.parse({ ...route, compare: { ...route.compare, ignore: rules } }).compare);
    expect(ignoring.compare(await prepare(page('A', '1', 'x'), 'text/html'), await prepare(page('A', '2', 'y'), 'text/html'))).toEqual([]);
  });

  it('text: the same page as plain text is diffed by line, and the line noise cancels too', async () => {
    const [same] = (await analyse(() => 'Orders', 'text/plain')).endpoints;
    expect(same).toMatchObject({ mismatched: { raw: 60, afterNoise: 0 } });
    const [changed] = (await analyse(() => 'Your orders', 'text/plain')).endpoints;
    expect(changed.fields.filter((f) => f.significant).map((f) => f.field)).toEqual(['text:line[5]']);
    expect(changed.fields[0].examples[0]).toMatchObject({ path: 'text:line[5]:token[5]', primary: 'Orders', candidate: 'Your orders' });
  });

  it('form-encoded bodies by key', async () => {
    const form = 'application/x-www-form-urlencoded';
    expect(comparator.compare(await prepare('a=1&tag=x&tag=y&gone=1', form), await prepare('a=2&tag=x&tag=z&new=1', form))).toEqual([
      { field: 'form:a', path: 'form:a', kind: 'value', primary: '1', candidate: '2' },
      { field: 'form:tag[2]', path: 'form:tag[2]', kind: 'value', primary: 'y', candidate: 'z' },
      { field: 'form:gone', path: 'form:gone', kind: 'missing', primary: '1' },
      { field: 'form:new', path: 'form:new', kind: 'extra', candidate: '1' },
    ]);
  });

  it('XML by element path, ignore rules with [*]', async () => {
    const a = await prepare(
      '<?xml version="1.0"?>\n<root>\n<item><price>1</price><id>a</id></item>\n<item><price>2</price><id>b</id></item>\n</root>',
      'application/xml',
    );
    const b = await prepare(
      '<?xml version="1.0"?>\n<root>\n<item><price>1</price><id>x</id></item>\n<item><price>3</price><id>y</id></item>\n</root>',
      'application/xml',
    );
    expect(comparator.compare(a, b)).toEqual([
      { field: 'xml:/root/item/id', path: 'xml:/root/item/id (line 3)', kind: 'value', primary: 'a', candidate: 'x' },
      { field: 'xml:/root/item[2]/price', path: 'xml:/root/item[2]/price (line 4)', kind: 'value', primary: '2', candidate: '3' },
      { field: 'xml:/root/item[2]/id', path: 'xml:/root/item[2]/id (line 4)', kind: 'value', primary: 'b', candidate: 'y' },
    ]);
    const ignoring = new ResponseComparator({ ...route.compare, ignore: ['xml:/root/item[*]/id'] });
    expect(ignoring.compare(a, b).map((d) => d.field)).toEqual(['xml:/root/item[2]/price']);
  });

  it('headers: a sensible default set (content-type, cache-control, location) is compared', async () => {
    expect(route.compare.headers).toEqual(['content-type', 'cache-control', 'location']);
    const a = await prepare('x', 'text/plain', { 'cache-control': 'max-age=60', location: '/a', date: 'Mon', etag: '"1"' });
    const b = await prepare('x', 'text/plain', { 'cache-control': 'no-store', date: 'Tue', etag: '"2"' });
    expect(comparator.compare(a, b)).toEqual([
      { field: 'header:cache-control', path: 'header:cache-control', kind: 'value', primary: 'max-age=60', candidate: 'no-store' },
      { field: 'header:location', path: 'header:location', kind: 'missing', primary: '/a' },
    ]);
  });

  it('status codes, and binary bodies by size and hash', async () => {
    const png = (bytes: number[]) => prepare(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0xff, ...bytes]), 'image/png');
    const a = await png([1, 2]);
    const b: PreparedResponse = { ...(await png([1, 2, 3])), status: 404 };
    expect(a.body).toMatchObject({ type: 'bytes', format: 'binary', length: 7, preview: '' });
    expect(comparator.compare(a, await png([1, 2]))).toEqual([]);
    expect(comparator.compare(a, b)).toEqual([
      { field: 'status', path: 'status', kind: 'value', primary: 200, candidate: 404 },
      {
        field: 'body',
        path: 'body',
        kind: 'value',
        primary: expect.objectContaining({ format: 'binary', length: 7, sha256: expect.any(String) }),
        candidate: expect.objectContaining({ format: 'binary', length: 8 }),
      },
    ]);
    // A page that turned into an image is a change of type, not a diff of lines.
    expect(comparator.compare(await prepare('hello', 'text/plain'), a)).toEqual([
      expect.objectContaining({ field: 'header:content-type' }),
      expect.objectContaining({ field: 'body', kind: 'type' }),
    ]);
  });

  it('rejects malformed structured ignore rules with the field named', () => {
    const parse = (rule: string) => mirrorRouteSchema.safeParse({ ...route, compare: { ignore: [rule] } });
    expect(parse('text:line[3]').success).toBe(true);
    expect(parse('form:csrf').success).toBe(true);
    const bad = parse('html:body');
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]).toMatchObject({ path: ['compare', 'ignore', 0], message: expect.stringContaining('element path') });
  });
});
