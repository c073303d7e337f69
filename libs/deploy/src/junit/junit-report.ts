/**
 * JUnit XML, as written by jest-junit, Node's test runner, pytest, surefire, go-junit-report…
 * The dialects differ (a `<testsuites>` root or a lone `<testsuite>`, nested suites, cases straight
 * under `<testsuites>`, totals present or not), so totals come from the cases when there are any
 * and from the suites' attributes only when there are none.
 */
import type { TestSummary } from './test-summary.contract';

export type { FailedCase, TestSummary } from './test-summary.contract';

export class JUnitParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JUnitParseError';
  }
}

const DETAIL_LIMIT = 4000;

interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  text: string;
}

export function parseJUnitXml(xml: string): TestSummary {
  const root = parseXml(xml);
  if (root.name !== 'testsuites' && root.name !== 'testsuite') {
    throw new JUnitParseError(`not a JUnit report: the root element is <${root.name}>, expected <testsuites> or <testsuite>`);
  }
  const summary: TestSummary = { tests: 0, passed: 0, failures: 0, errors: 0, skipped: 0, timeSeconds: 0, failedCases: [] };
  let caseCount = 0;
  const visit = (element: XmlElement, suite: string | undefined): void => {
    for (const child of element.children) {
      if (child.name === 'testsuite' || child.name === 'testsuites') visit(child, child.attributes.name ?? suite);
      else if (child.name === 'testcase') {
        caseCount++;
        addCase(summary, child, suite);
      }
    }
  };
  visit(root, root.name === 'testsuite' ? root.attributes.name : undefined);
  if (caseCount === 0) addSuiteTotals(summary, root);
  summary.passed = Math.max(0, summary.tests - summary.failures - summary.errors - summary.skipped);
  const rootTime = number(root.attributes.time);
  summary.timeSeconds = round(rootTime ?? summary.timeSeconds);
  return summary;
}

function addCase(summary: TestSummary, element: XmlElement, suite: string | undefined): void {
  summary.tests++;
  summary.timeSeconds += number(element.attributes.time) ?? 0;
  const failure = element.children.find((c) => c.name === 'failure');
  const error = element.children.find((c) => c.name === 'error');
  const outcome = failure ?? error;
  if (outcome) {
    const kind = failure ? 'failure' : 'error';
    if (kind === 'failure') summary.failures++;
    else summary.errors++;
    const detail = outcome.text.trim();
    summary.failedCases.push({
      name: element.attributes.name ?? '(unnamed)',
      classname: element.attributes.classname || undefined,
      suite: suite || undefined,
      kind,
      message: outcome.attributes.message || undefined,
      type: outcome.attributes.type || undefined,
      detail: detail ? (detail.length > DETAIL_LIMIT ? `${detail.slice(0, DETAIL_LIMIT)}…` : detail) : undefined,
    });
  } else if (element.children.some((c) => c.name === 'skipped')) {
    summary.skipped++;
  }
}

/** Reports without cases (only counts): sum the innermost suites, or take the root's own totals. */
function addSuiteTotals(summary: TestSummary, root: XmlElement): void {
  const leaves: XmlElement[] = [];
  const collect = (element: XmlElement): void => {
    const suites = element.children.filter((c) => c.name === 'testsuite' || c.name === 'testsuites');
    if (suites.length === 0) leaves.push(element);
    else suites.forEach(collect);
  };
  collect(root);
  for (const suite of leaves) {
    summary.tests += number(suite.attributes.tests) ?? 0;
    summary.failures += number(suite.attributes.failures) ?? 0;
    summary.errors += number(suite.attributes.errors) ?? 0;
    summary.skipped += number(suite.attributes.skipped ?? suite.attributes.disabled) ?? 0;
    summary.timeSeconds += number(suite.attributes.time) ?? 0;
  }
}

function number(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text.replace(/,/g, '').trim());
  return Number.isFinite(value) ? value : undefined;
}

function round(seconds: number): number {
  return Math.round(seconds * 1000) / 1000;
}

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function decode(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#\d+|[a-zA-Z]+);/g, (whole, entity: string) => {
    if (entity.startsWith('#x')) return safeCodePoint(parseInt(entity.slice(2), 16)) ?? whole;
    if (entity.startsWith('#')) return safeCodePoint(parseInt(entity.slice(1), 10)) ?? whole;
    return ENTITIES[entity] ?? whole;
  });
}

function safeCodePoint(code: number): string | undefined {
  return Number.isInteger(code) && code >= 0 && code <= 0x10ffff ? String.fromCodePoint(code) : undefined;
}

/**
 * Enough XML for test reports: elements, attributes, text, CDATA, comments, processing
 * instructions and a DOCTYPE (skipped). No namespaces or DTD entities — reports do not use them.
 */
function parseXml(xml: string): XmlElement {
  const text = xml.charCodeAt(0) === 0xfeff ? xml.slice(1) : xml;
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  let i = 0;
  const lineAt = (offset: number) => text.slice(0, offset).split('\n').length;
  const fail = (problem: string, offset: number): never => {
    throw new JUnitParseError(`malformed XML at line ${lineAt(offset)}: ${problem}`);
  };
  while (i < text.length) {
    const lt = text.indexOf('<', i);
    const chunk = lt === -1 ? text.slice(i) : text.slice(i, lt);
    if (chunk.length) {
      if (stack.length) stack[stack.length - 1].text += decode(chunk);
      else if (chunk.trim()) fail('text outside the root element', i);
    }
    if (lt === -1) break;
    if (text.startsWith('<!--', lt)) {
      const end = text.indexOf('-->', lt + 4);
      if (end === -1) fail('unterminated comment', lt);
      i = end + 3;
    } else if (text.startsWith('<![CDATA[', lt)) {
      const end = text.indexOf(']]>', lt + 9);
      if (end === -1) fail('unterminated CDATA section', lt);
      if (stack.length) stack[stack.length - 1].text += text.slice(lt + 9, end);
      i = end + 3;
    } else if (text.startsWith('<?', lt)) {
      const end = text.indexOf('?>', lt + 2);
      if (end === -1) fail('unterminated processing instruction', lt);
      i = end + 2;
    } else if (text.startsWith('<!', lt)) {
      const bracket = text.indexOf('[', lt);
      const close = text.indexOf('>', lt);
      const end = bracket !== -1 && bracket < close ? text.indexOf(']>', bracket) + 1 : close;
      if (end <= 0) fail('unterminated declaration', lt);
      i = end + 1;
    } else if (text.startsWith('</', lt)) {
      const end = text.indexOf('>', lt);
      if (end === -1) fail('unterminated closing tag', lt);
      const name = text.slice(lt + 2, end).trim();
      const open = stack.pop();
      if (!open) fail(`</${name}> closes nothing`, lt);
      else if (open.name !== name) fail(`expected </${open.name}>, found </${name}>`, lt);
      i = end + 1;
    } else {
      const { element, selfClosing, end } = readStartTag(text, lt, fail);
      if (stack.length) stack[stack.length - 1].children.push(element);
      else if (root) fail(`a second root element <${element.name}>`, lt);
      else root = element;
      if (!selfClosing) stack.push(element);
      i = end;
    }
  }
  if (stack.length) fail(`<${stack[stack.length - 1].name}> is never closed`, text.length);
  if (!root) throw new JUnitParseError('the file contains no XML element');
  return root;
}

function readStartTag(
  text: string,
  start: number,
  fail: (problem: string, offset: number) => never,
): { element: XmlElement; selfClosing: boolean; end: number } {
  const nameMatch = /^<([A-Za-z_][\w.:-]*)/.exec(text.slice(start, start + 256));
  if (!nameMatch) return fail('expected an element name after <', start);
  const element: XmlElement = { name: nameMatch[1], attributes: {}, children: [], text: '' };
  let i = start + nameMatch[0].length;
  const attribute = /\s*([A-Za-z_][\w.:-]*)\s*=\s*("([^"]*)"|'([^']*)')/y;
  for (;;) {
    attribute.lastIndex = i;
    const match = attribute.exec(text);
    if (match) {
      element.attributes[match[1]] = decode(match[3] ?? match[4] ?? '');
      i = attribute.lastIndex;
      continue;
    }
    while (i < text.length && /\s/.test(text[i])) i++;
    if (text.startsWith('/>', i)) return { element, selfClosing: true, end: i + 2 };
    if (text[i] === '>') return { element, selfClosing: false, end: i + 1 };
    const unquoted = /^([A-Za-z_][\w.:-]*)\s*=/.exec(text.slice(i, i + 256));
    if (unquoted) return fail(`the value of attribute ${unquoted[1]} in <${element.name}> must be quoted`, i);
    return fail(`unexpected ${i < text.length ? JSON.stringify(text[i]) : 'end of file'} in <${element.name}>`, i);
  }
}
