import { diffJson, type Difference } from './json-diff';
import { PathPatternSet } from './json-path';
import { diffLeaves } from './leaf-diff';
import { headerText, type CapturedResponse, type PreparedBody, type PreparedResponse } from './prepared-response';
import { StructuredIgnore } from './structured-path';
import { diffText } from './text-diff';

/** What a route compares beyond status and body, and what it deliberately does not. */
export interface CompareRules {
  /**
   * JSON paths (`$.timestamp`, `$..requestId`, `$.items[*].id`), `header:<name>`, `status`, `body`,
   * or paths into other bodies (`text:line[3]`, `html:/html/body/p[2]`, `xml:/root/item[*]/id`, `form:csrf`).
   */
  ignore: readonly string[];
  unorderedArrays: readonly string[];
  /** Response headers compared by value; others are not compared at all. */
  headers: readonly string[];
}

const HEADER_RULE = /^header:/i;

/** Compiled compare rules; one per route, reused for every exchange. */
export class ResponseComparator {
  private readonly bodyIgnore: PathPatternSet;
  private readonly unordered: PathPatternSet;
  private readonly headers: readonly string[];
  private readonly ignoreStatus: boolean;
  private readonly ignoreOpaqueBody: boolean;
  private readonly structuredIgnore: StructuredIgnore;

  constructor(rules: CompareRules) {
    const ignoredHeaders = new Set(rules.ignore.filter((rule) => HEADER_RULE.test(rule)).map((rule) => rule.slice('header:'.length).trim().toLowerCase()));
    this.bodyIgnore = new PathPatternSet(rules.ignore.filter((rule) => rule.startsWith('$')));
    this.unordered = new PathPatternSet(rules.unorderedArrays);
    this.headers = rules.headers.map((name) => name.toLowerCase()).filter((name) => !ignoredHeaders.has(name));
    this.ignoreStatus = rules.ignore.includes('status');
    this.ignoreOpaqueBody = rules.ignore.includes('body');
    this.structuredIgnore = new StructuredIgnore(rules.ignore);
  }

  /**
   * True when two captured responses are the same bytes in everything compared: same status,
   * same compared headers, same content-encoding and body. Such a pair has no difference under
   * any rule, so the caller can skip decoding and parsing — the common case in a dark launch.
   */
  identical(primary: CapturedResponse, other: CapturedResponse): boolean {
    if (primary.status !== other.status) return false;
    for (const name of this.headers) if (headerText(primary.headers[name]) !== headerText(other.headers[name])) return false;
    if (headerText(primary.headers['content-encoding']) !== headerText(other.headers['content-encoding'])) return false;
    return primary.body.equals(other.body);
  }

  compare(primary: PreparedResponse, other: PreparedResponse): Difference[] {
    const out: Difference[] = [];
    if (!this.ignoreStatus && primary.status !== other.status) {
      out.push({ field: 'status', path: 'status', kind: 'value', primary: primary.status, candidate: other.status });
    }
    for (const name of this.headers) {
      const a = primary.headers[name];
      const b = other.headers[name];
      if (a === b) continue;
      const field = `header:${name}`;
      if (b === undefined) out.push({ field, path: field, kind: 'missing', primary: a });
      else if (a === undefined) out.push({ field, path: field, kind: 'extra', candidate: b });
      else out.push({ field, path: field, kind: 'value', primary: a, candidate: b });
    }
    this.compareBodies(primary.body, other.body, out);
    return out;
  }

  private compareBodies(a: PreparedBody, b: PreparedBody, out: Difference[]): void {
    if (a.type === 'json' && b.type === 'json') {
      out.push(...diffJson(a.value, b.value, { ignore: this.bodyIgnore, unorderedArrays: this.unordered }));
      return;
    }
    if (this.ignoreOpaqueBody) return;
    if (a.type === 'bytes' && b.type === 'bytes' && a.sha256 === b.sha256) return;
    if (a.type === 'bytes' && b.type === 'bytes' && a.document && b.document && a.document.format === b.document.format) {
      const differences =
        a.document.format === 'text'
          ? diffText(a.document.lines, (b.document as typeof a.document).lines, { ignore: this.structuredIgnore })
          : diffLeaves(`${a.document.format}:`, a.document.leaves, (b.document as typeof a.document).leaves, this.structuredIgnore);
      // Undefined: too many changed lines to diff in bounded time; reported as a changed body below.
      if (differences) {
        out.push(...differences);
        return;
      }
    }
    if (a.type !== b.type || (a.type === 'bytes' && b.type === 'bytes' && (a.format ?? 'binary') !== (b.format ?? 'binary'))) {
      out.push({ field: 'body', path: 'body', kind: 'type', primary: describeBody(a), candidate: describeBody(b) });
      return;
    }
    if (a.type !== 'json' && b.type !== 'json' && a.sha256 !== b.sha256) {
      out.push({ field: 'body', path: 'body', kind: 'value', primary: describeBody(a), candidate: describeBody(b) });
    }
  }
}

function describeBody(body: PreparedBody): Record<string, unknown> {
  switch (body.type) {
    case 'json':
      return { type: 'json' };
    case 'bytes':
      return { type: 'bytes', ...(body.format ? { format: body.format } : {}), length: body.length, sha256: body.sha256, preview: body.preview };
    case 'undecodable':
      return { type: 'undecodable', length: body.length, sha256: body.sha256, reason: body.reason };
  }
}
