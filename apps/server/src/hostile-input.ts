/**
 * Checks every request passes at the edge, before any DTO, schema or service sees the input:
 * they turn what would otherwise reach PostgreSQL or blow the stack into a 400 naming the field.
 */

/** Deep enough for flag rules (8 levels) and JSON variants; far below what recursion can survive. */
export const MAX_JSON_DEPTH = 64;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN = new Set([0x7b, 0x5b]);
const CLOSE = new Set([0x7d, 0x5d]);

/**
 * Whether a JSON text nests deeper than `limit`, by one pass over its bytes: no parsing and no
 * recursion, so it is safe on input that would overflow the stack of anything that recurses.
 * Bytes of multi-byte UTF-8 characters are all ≥ 0x80, so they never look like brackets or quotes.
 */
export function jsonDepthExceeds(text: Buffer | string, limit = MAX_JSON_DEPTH): boolean {
  const bytes = typeof text === 'string' ? Buffer.from(text) : text;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i];
    if (inString) {
      if (byte === BACKSLASH) i++;
      else if (byte === QUOTE) inString = false;
    } else if (byte === QUOTE) {
      inString = true;
    } else if (OPEN.has(byte)) {
      if (++depth > limit) return true;
    } else if (CLOSE.has(byte)) {
      depth--;
    }
  }
  return false;
}

/**
 * The path (`rules[0].description`) of the first string or object key holding a NUL character, which
 * PostgreSQL's text and jsonb cannot store; undefined when there is none. Iterative, like the depth check.
 */
export function nulCharacterPath(value: unknown, root = ''): string | undefined {
  const pending: Array<[unknown, string]> = [[value, root]];
  while (pending.length > 0) {
    const [item, path] = pending.pop()!;
    if (typeof item === 'string') {
      if (item.includes('\0')) return path || '(body)';
    } else if (Array.isArray(item)) {
      item.forEach((element, index) => pending.push([element, `${path}[${index}]`]));
    } else if (item !== null && typeof item === 'object') {
      for (const [key, element] of Object.entries(item)) {
        const at = path ? `${path}.${key.replace(/\0/g, '\\0')}` : key.replace(/\0/g, '\\0');
        if (key.includes('\0')) return at;
        pending.push([element, at]);
      }
    }
  }
  return undefined;
}
