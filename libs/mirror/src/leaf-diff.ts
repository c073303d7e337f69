import type { Difference } from './json-diff';
import type { StructuredIgnore } from './structured-path';
import type { Leaf } from './xml-leaves';

/**
 * Compares two flattened documents path by path (linear, one map): the field is the path with its
 * kind prefix (`html:/html/body/h1`), the concrete path adds the primary's line so a reader finds it.
 */
export function diffLeaves(
  prefix: 'html:' | 'xml:' | 'form:',
  a: readonly Leaf[],
  b: readonly Leaf[],
  ignore: StructuredIgnore,
  maxDifferences = 100,
): Difference[] {
  const out: Difference[] = [];
  const other = new Map<string, Leaf>();
  for (const leaf of b) if (!other.has(leaf.path)) other.set(leaf.path, leaf);
  const seen = new Set<string>();
  const where = (field: string, leaf: Leaf) => (prefix === 'form:' ? field : `${field} (line ${leaf.line})`);
  for (const leaf of a) {
    if (out.length >= maxDifferences) return out;
    if (seen.has(leaf.path)) continue;
    seen.add(leaf.path);
    const field = prefix + leaf.path;
    const match = other.get(leaf.path);
    if (match !== undefined && match.value === leaf.value) continue;
    if (ignore.matches(field)) continue;
    if (match === undefined) out.push({ field, path: where(field, leaf), kind: 'missing', primary: leaf.value });
    else out.push({ field, path: where(field, leaf), kind: 'value', primary: leaf.value, candidate: match.value });
  }
  for (const leaf of other.values()) {
    if (out.length >= maxDifferences) return out;
    if (seen.has(leaf.path)) continue;
    const field = prefix + leaf.path;
    if (!ignore.matches(field)) out.push({ field, path: where(field, leaf), kind: 'extra', candidate: leaf.value });
  }
  return out;
}
