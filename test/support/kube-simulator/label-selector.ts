import { EVENT_FIELD_LABELS } from './event-recorder';

/** Label selectors as the API server parses them (`a=b,c!=d,e in (x,y),!f`) and as objects carry them. */
export type Requirement =
  { key: string; op: 'eq' | 'neq'; value: string } | { key: string; op: 'in' | 'notin'; values: string[] } | { key: string; op: 'exists' | 'notexists' };

export class SelectorError extends Error {}

const LABEL_KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;

export function parseLabelSelector(text: string | null | undefined): Requirement[] {
  if (!text) return [];
  const requirements: Requirement[] = [];
  for (const part of splitTopLevel(text)) {
    const term = part.trim();
    if (!term) continue;
    let match: RegExpExecArray | null;
    if ((match = /^(\S+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(term))) {
      requirements.push({
        key: checkKey(match[1]),
        op: match[2] as 'in' | 'notin',
        values: match[3]
          .split(',')
          .map((v) => v.trim())
          .filter(Boolean),
      });
    } else if ((match = /^([^=!\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(term))) {
      requirements.push({ key: checkKey(match[1]), op: match[2] === '!=' ? 'neq' : 'eq', value: match[3] });
    } else if ((match = /^!\s*(\S+)$/.exec(term))) {
      requirements.push({ key: checkKey(match[1]), op: 'notexists' });
    } else if (LABEL_KEY.test(term)) {
      requirements.push({ key: term, op: 'exists' });
    } else {
      throw new SelectorError(`unable to parse requirement: found '${term}'`);
    }
  }
  return requirements;
}

function checkKey(key: string): string {
  if (!LABEL_KEY.test(key)) throw new SelectorError(`invalid label key "${key}"`);
  return key;
}

function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const char of text) {
    if (char === '(') depth++;
    if (char === ')') depth--;
    if (char === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else current += char;
  }
  parts.push(current);
  return parts;
}

export function matchesLabels(requirements: Requirement[], labels: Record<string, string> | undefined): boolean {
  const have = labels ?? {};
  return requirements.every((r) => {
    const present = Object.prototype.hasOwnProperty.call(have, r.key);
    switch (r.op) {
      case 'eq':
        return present && have[r.key] === r.value;
      case 'neq':
        return !present || have[r.key] !== r.value;
      case 'in':
        return present && r.values.includes(have[r.key]);
      case 'notin':
        return !present || !r.values.includes(have[r.key]);
      case 'exists':
        return present;
      case 'notexists':
        return !present;
    }
  });
}

/** A metav1.LabelSelector (matchLabels + matchExpressions) as requirements. */
export function fromLabelSelector(
  selector: { matchLabels?: Record<string, string>; matchExpressions?: Array<{ key: string; operator: string; values?: string[] }> } | undefined,
): Requirement[] {
  if (!selector) return [];
  const requirements: Requirement[] = Object.entries(selector.matchLabels ?? {}).map(([key, value]) => ({ key, op: 'eq' as const, value }));
  for (const expression of selector.matchExpressions ?? []) {
    switch (expression.operator) {
      case 'In':
        requirements.push({ key: expression.key, op: 'in', values: expression.values ?? [] });
        break;
      case 'NotIn':
        requirements.push({ key: expression.key, op: 'notin', values: expression.values ?? [] });
        break;
      case 'Exists':
        requirements.push({ key: expression.key, op: 'exists' });
        break;
      case 'DoesNotExist':
        requirements.push({ key: expression.key, op: 'notexists' });
        break;
      default:
        throw new SelectorError(`"${expression.operator}" is not a valid label selector operator`);
    }
  }
  return requirements;
}

/** Field selectors: only the fields the real server supports for every type, plus pod phase. */
export function parseFieldSelector(text: string | null | undefined): Array<{ field: string; negate: boolean; value: string }> {
  if (!text) return [];
  return text
    .split(',')
    .map((term) => term.trim())
    .filter(Boolean)
    .map((term) => {
      const match = /^([A-Za-z.]+)\s*(==|=|!=)\s*(.*)$/.exec(term);
      if (!match) throw new SelectorError(`invalid field selector: '${term}'`);
      // The union over the served kinds (the API server checks per kind): events add involvedObject.* and the like.
      if (!['metadata.name', 'metadata.namespace', 'status.phase', 'spec.nodeName', ...EVENT_FIELD_LABELS].includes(match[1])) {
        throw new SelectorError(`field label not supported: ${match[1]}`);
      }
      return { field: match[1], negate: match[2] === '!=', value: match[3] };
    });
}

export function matchesFields(selectors: ReturnType<typeof parseFieldSelector>, object: Record<string, unknown>): boolean {
  return selectors.every(({ field, negate, value }) => {
    let current: unknown = object;
    for (const segment of field.split('.')) current = (current as Record<string, unknown> | undefined)?.[segment];
    const actual = current === undefined || current === null ? '' : String(current);
    return negate ? actual !== value : actual === value;
  });
}
