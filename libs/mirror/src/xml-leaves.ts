/**
 * Flattens HTML or XML into leaves — an element's own text, each attribute — keyed by element
 * paths (`/root/item[2]/price`, `/html/body/form/input/@value`), with the line each starts on.
 * A tolerant single-pass scanner, not a validating parser: linear in the input, no regex, unknown
 * constructs are skipped, unclosed elements are closed at the end. Positional paths keep the
 * field notion stable across responses of one endpoint, which is what noise cancellation needs.
 */
export interface Leaf {
  path: string;
  value: string;
  line: number;
}

/** A document with more leaves than this is compared by hash. */
export const MAX_LEAVES = 20_000;

const MAX_DEPTH = 256;
const HTML_VOID = new Set(['area', 'base', 'br', 'col', 'embed', 'hr', 'img', 'input', 'link', 'meta', 'param', 'source', 'track', 'wbr']);
const HTML_SELF_CLOSING_SIBLINGS = new Set(['p', 'li', 'dt', 'dd', 'option', 'tr', 'td', 'th']);
const HTML_RAW_TEXT = new Set(['script', 'style', 'textarea', 'title']);

interface Frame {
  name: string;
  path: string;
  line: number;
  text: string[];
  /** Same-named children seen so far, created on the first child (most elements have none). */
  children?: Map<string, number>;
}

export function markupLeaves(source: string, dialect: 'html' | 'xml'): Leaf[] | undefined {
  const html = dialect === 'html';
  const leaves: Leaf[] = [];
  const root: Frame = { name: '', path: '', line: 1, text: [] };
  const stack: Frame[] = [root];
  let pos = 0;
  let line = 1;
  let counted = 0;
  const lineAt = (at: number): number => {
    for (let nl = source.indexOf('\n', counted); nl !== -1 && nl < at; nl = source.indexOf('\n', nl + 1)) line++;
    counted = at;
    return line;
  };
  const close = (frame: Frame) => {
    const text = collapse(frame.text.join(' '));
    if (text !== '' && frame !== root) leaves.push({ path: frame.path, value: decodeEntities(text), line: frame.line });
  };
  const n = source.length;
  while (pos < n) {
    if (leaves.length > MAX_LEAVES) return undefined;
    const lt = source.indexOf('<', pos);
    const textEnd = lt === -1 ? n : lt;
    if (textEnd > pos) stack[stack.length - 1].text.push(source.slice(pos, textEnd));
    if (lt === -1) break;
    pos = lt;
    if (source.startsWith('<!--', pos)) {
      const end = source.indexOf('-->', pos + 4);
      pos = end === -1 ? n : end + 3;
    } else if (source.startsWith('<![CDATA[', pos)) {
      const end = source.indexOf(']]>', pos + 9);
      stack[stack.length - 1].text.push(source.slice(pos + 9, end === -1 ? n : end));
      pos = end === -1 ? n : end + 3;
    } else if (source.startsWith('<!', pos) || source.startsWith('<?', pos)) {
      const end = source.indexOf('>', pos + 2);
      pos = end === -1 ? n : end + 1;
    } else if (source.startsWith('</', pos)) {
      const end = source.indexOf('>', pos + 2);
      const name = normalize(source.slice(pos + 2, end === -1 ? n : end).trim(), html);
      pos = end === -1 ? n : end + 1;
      const at = findOpen(stack, name);
      if (at > 0) while (stack.length > at) close(stack.pop() as Frame);
    } else {
      const tag = scanTag(source, pos + 1, html);
      if (!tag) {
        // A lone "<" is text.
        stack[stack.length - 1].text.push('<');
        pos++;
        continue;
      }
      // `<p>one<p>two`, `<li>a<li>b`: HTML closes the open sibling implicitly; keeps paths positional.
      if (html && HTML_SELF_CLOSING_SIBLINGS.has(tag.name) && stack.length > 1 && stack[stack.length - 1].name === tag.name) close(stack.pop() as Frame);
      const parent = stack[stack.length - 1];
      parent.children ??= new Map();
      const count = (parent.children.get(tag.name) ?? 0) + 1;
      parent.children.set(tag.name, count);
      const frame: Frame = { name: tag.name, path: `${parent.path}/${tag.name}${count > 1 ? `[${count}]` : ''}`, line: lineAt(pos), text: [] };
      for (const [name, value] of tag.attributes) leaves.push({ path: `${frame.path}/@${name}`, value: decodeEntities(value), line: frame.line });
      pos = tag.end;
      if (tag.selfClosing || (html && HTML_VOID.has(tag.name))) continue;
      if (html && HTML_RAW_TEXT.has(tag.name)) {
        const end = indexOfCaseless(source, `</${tag.name}`, pos);
        frame.text.push(source.slice(pos, end === -1 ? n : end));
        close(frame);
        const gt = end === -1 ? -1 : source.indexOf('>', end);
        pos = gt === -1 ? n : gt + 1;
        continue;
      }
      // Past this depth (unclosed tags in a broken page) elements are flattened into their parent.
      if (stack.length < MAX_DEPTH) stack.push(frame);
    }
  }
  while (stack.length > 1) close(stack.pop() as Frame);
  return leaves.length > MAX_LEAVES ? undefined : leaves;
}

function findOpen(stack: Frame[], name: string): number {
  for (let i = stack.length - 1; i > 0; i--) if (stack[i].name === name) return i;
  return -1;
}

function normalize(name: string, html: boolean): string {
  return html ? name.toLowerCase() : name;
}

function isNameChar(c: number): boolean {
  return c > 0x20 && c !== 0x3e && c !== 0x2f && c !== 0x3d && c !== 0x22 && c !== 0x27 && c !== 0x3c;
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09 || c === 0x0c;
}

/** `name attr="v" attr2=v attr3 /` up to and including ">"; undefined when `<` does not start a tag. */
function scanTag(source: string, from: number, html: boolean): { name: string; attributes: [string, string][]; selfClosing: boolean; end: number } | undefined {
  let i = from;
  const n = source.length;
  while (i < n && isNameChar(source.charCodeAt(i))) i++;
  if (i === from) return undefined;
  const name = normalize(source.slice(from, i), html);
  const attributes: [string, string][] = [];
  let selfClosing = false;
  while (i < n) {
    const c = source.charCodeAt(i);
    if (isSpace(c)) {
      i++;
    } else if (c === 0x3e) {
      return { name, attributes, selfClosing, end: i + 1 };
    } else if (c === 0x2f) {
      selfClosing = true;
      i++;
    } else {
      selfClosing = false;
      const start = i;
      while (i < n && isNameChar(source.charCodeAt(i))) i++;
      if (i === start) {
        i++;
        continue;
      }
      const attribute = normalize(source.slice(start, i), html);
      while (i < n && isSpace(source.charCodeAt(i))) i++;
      let value = '';
      if (source.charCodeAt(i) === 0x3d) {
        i++;
        while (i < n && isSpace(source.charCodeAt(i))) i++;
        const quote = source.charCodeAt(i);
        if (quote === 0x22 || quote === 0x27) {
          const end = source.indexOf(String.fromCharCode(quote), i + 1);
          value = source.slice(i + 1, end === -1 ? n : end);
          i = end === -1 ? n : end + 1;
        } else {
          const start2 = i;
          while (i < n && !isSpace(source.charCodeAt(i)) && source.charCodeAt(i) !== 0x3e) i++;
          value = source.slice(start2, i);
        }
      }
      attributes.push([attribute, value]);
    }
  }
  return { name, attributes, selfClosing, end: n };
}

function indexOfCaseless(source: string, needle: string, from: number): number {
  const lower = needle.toLowerCase();
  for (let at = source.indexOf('</', from); at !== -1; at = source.indexOf('</', at + 2)) {
    if (source.slice(at, at + lower.length).toLowerCase() === lower) return at;
  }
  return -1;
}

/** Whitespace runs as one space, trimmed (a one-class regex: linear). */
function collapse(text: string): string {
  const trimmed = text.trim();
  return trimmed === '' ? '' : trimmed.split(/\s+/).join(' ');
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0' };

/** The few entities that matter for comparing text; numeric ones too. Others stay as written. */
function decodeEntities(text: string): string {
  if (!text.includes('&')) return text;
  let out = '';
  let i = 0;
  while (i < text.length) {
    const amp = text.indexOf('&', i);
    if (amp === -1) break;
    const semi = text.indexOf(';', amp + 1);
    out += text.slice(i, amp);
    if (semi === -1 || semi - amp > 10) {
      out += '&';
      i = amp + 1;
      continue;
    }
    const name = text.slice(amp + 1, semi);
    const code =
      name.startsWith('#x') || name.startsWith('#X') ? Number.parseInt(name.slice(2), 16) : name.startsWith('#') ? Number.parseInt(name.slice(1), 10) : NaN;
    const decoded = ENTITIES[name] ?? (Number.isInteger(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : undefined);
    out += decoded ?? `&${name};`;
    i = semi + 1;
  }
  return out + text.slice(i);
}

/** Form-encoded keys as leaves `form:key`, a repeated key's later values as `form:key[2]`… */
export function formLeaves(source: string): Leaf[] | undefined {
  const leaves: Leaf[] = [];
  const seen = new Map<string, number>();
  for (const [key, value] of new URLSearchParams(source)) {
    if (leaves.length >= MAX_LEAVES) return undefined;
    const count = (seen.get(key) ?? 0) + 1;
    seen.set(key, count);
    leaves.push({ path: count > 1 ? `${key}[${count}]` : key, value, line: 1 });
  }
  return leaves;
}
