import { checkRegex, compareSemver, parseIsoDate, STRING_OPERATORS, type Condition, type Operator } from '@switchyard/core';

/** What kind of value an operator compares with; the condition builder shows a matching input. */
export type ValueKind = 'text-list' | 'regex-list' | 'number' | 'date' | 'semver' | 'segments';

export interface OperatorInfo {
  operator: Operator;
  label: string;
  kind: ValueKind;
}

export const OPERATOR_INFO: readonly OperatorInfo[] = [
  { operator: 'in', label: 'is one of', kind: 'text-list' },
  { operator: 'not_in', label: 'is not one of', kind: 'text-list' },
  { operator: 'contains', label: 'contains', kind: 'text-list' },
  { operator: 'starts_with', label: 'starts with', kind: 'text-list' },
  { operator: 'ends_with', label: 'ends with', kind: 'text-list' },
  { operator: 'matches', label: 'matches regex', kind: 'regex-list' },
  { operator: 'eq', label: '= (number)', kind: 'number' },
  { operator: 'lt', label: '< (number)', kind: 'number' },
  { operator: 'lte', label: '≤ (number)', kind: 'number' },
  { operator: 'gt', label: '> (number)', kind: 'number' },
  { operator: 'gte', label: '≥ (number)', kind: 'number' },
  { operator: 'before', label: 'is before (date)', kind: 'date' },
  { operator: 'after', label: 'is after (date)', kind: 'date' },
  { operator: 'semver_eq', label: 'version =', kind: 'semver' },
  { operator: 'semver_lt', label: 'version <', kind: 'semver' },
  { operator: 'semver_gt', label: 'version >', kind: 'semver' },
  { operator: 'in_segment', label: 'is in segment', kind: 'segments' },
];

export function operatorInfo(operator: Operator): OperatorInfo {
  return OPERATOR_INFO.find((info) => info.operator === operator) ?? OPERATOR_INFO[0];
}

export function allowsCaseInsensitive(operator: Operator): boolean {
  return STRING_OPERATORS.includes(operator);
}

/**
 * A condition as the builder edits it: the raw text of the value input, kept while it is invalid
 * so typing is never fought, and turned into typed API values by {@link toCondition}.
 */
export interface ConditionDraft {
  attribute: string;
  operator: Operator;
  /** Text-list: comma-separated; regex-list: one per line; number/date/semver: one value. */
  text: string;
  segments: string[];
  negate: boolean;
  caseInsensitive: boolean;
}

export interface FieldProblem {
  /** `attribute`, `operator` or `values` (optionally `values[i]`), as the API names them. */
  field: string;
  problem: string;
}

export type ConditionResult = { condition: Condition; problems?: undefined } | { condition?: undefined; problems: FieldProblem[] };

export function emptyDraft(operator: Operator = 'in'): ConditionDraft {
  return { attribute: '', operator, text: '', segments: [], negate: false, caseInsensitive: false };
}

/** A decimal number as the engine reads numeric text: no hex, no blanks, no empty string. */
const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

export function splitList(text: string, kind: 'text-list' | 'regex-list'): string[] {
  const parts = kind === 'regex-list' ? text.split('\n') : text.split(',');
  return parts.map((part) => part.trim()).filter((part) => part !== '');
}

/** Typed API values from a draft, or the problems naming the field at fault. */
export function toCondition(draft: ConditionDraft): ConditionResult {
  const info = operatorInfo(draft.operator);
  const problems: FieldProblem[] = [];
  const attribute = draft.attribute.trim();
  if (info.kind !== 'segments' && attribute === '') problems.push({ field: 'attribute', problem: 'name the context attribute, e.g. country' });
  let values: Array<string | number> = [];
  const single = draft.text.trim();
  switch (info.kind) {
    case 'text-list':
    case 'regex-list': {
      values = splitList(draft.text, info.kind);
      if (values.length === 0)
        problems.push({ field: 'values', problem: info.kind === 'regex-list' ? 'enter at least one pattern' : 'enter at least one value' });
      if (info.kind === 'regex-list') {
        values.forEach((pattern, i) => {
          const problem = checkRegex(String(pattern));
          if (problem) problems.push({ field: `values[${i}]`, problem: `pattern ${i + 1} ${problem}` });
        });
      }
      break;
    }
    case 'number':
      if (!NUMBER.test(single)) problems.push({ field: 'values', problem: 'must be a number, e.g. 30 or 2.5' });
      else values = [Number(single)];
      if (values.length === 1 && !Number.isFinite(values[0])) problems.push({ field: 'values', problem: 'must be a finite number' });
      break;
    case 'date':
      if (Number.isNaN(parseIsoDate(single)))
        problems.push({ field: 'values', problem: 'must be an ISO-8601 date such as 2025-01-31 or 2025-01-31T12:00:00Z' });
      else values = [single];
      break;
    case 'semver':
      if (compareSemver(single, single) === undefined) problems.push({ field: 'values', problem: 'must be a semantic version such as 1.2.3' });
      else values = [single];
      break;
    case 'segments':
      values = [...draft.segments];
      if (values.length === 0) problems.push({ field: 'values', problem: 'pick at least one segment' });
      break;
  }
  if (problems.length > 0) return { problems };
  const condition: Condition = { attribute: info.kind === 'segments' ? '' : attribute, operator: draft.operator, values };
  if (draft.negate) condition.negate = true;
  if (draft.caseInsensitive && allowsCaseInsensitive(draft.operator)) condition.caseInsensitive = true;
  return { condition };
}

export function fromCondition(condition: Condition): ConditionDraft {
  const info = operatorInfo(condition.operator);
  const strings = condition.values.map(String);
  return {
    attribute: condition.attribute,
    operator: condition.operator,
    text: info.kind === 'regex-list' ? strings.join('\n') : info.kind === 'segments' ? '' : strings.join(', '),
    segments: info.kind === 'segments' ? strings : [],
    negate: condition.negate === true,
    caseInsensitive: condition.caseInsensitive === true,
  };
}

/**
 * Switching operators keeps what still makes sense: list text stays for another list operator,
 * a single value stays when the kind is the same; otherwise the value starts empty.
 */
export function changeOperator(draft: ConditionDraft, operator: Operator): ConditionDraft {
  const from = operatorInfo(draft.operator).kind;
  const to = operatorInfo(operator).kind;
  const sameFamily = from === to || (from === 'text-list' && to === 'regex-list') || (from === 'regex-list' && to === 'text-list');
  const text = !sameFamily
    ? ''
    : from === to
      ? draft.text
      : to === 'regex-list'
        ? splitList(draft.text, 'text-list').join('\n')
        : splitList(draft.text, 'regex-list').join(', ');
  return { ...draft, operator, text, caseInsensitive: allowsCaseInsensitive(operator) && draft.caseInsensitive };
}

/** A one-line reading of a condition for lists and diffs: `country is one of NO, SE`. */
export function describeCondition(condition: Condition): string {
  const info = operatorInfo(condition.operator);
  const values = condition.values.map(String).join(', ');
  const subject = info.kind === 'segments' ? 'context' : condition.attribute;
  return [condition.negate ? 'NOT' : '', subject, info.label, values, condition.caseInsensitive ? '(any case)' : ''].filter(Boolean).join(' ');
}

/** Placeholder for the value input of each kind. */
export function valueHint(kind: ValueKind): string {
  switch (kind) {
    case 'text-list':
      return 'comma-separated, e.g. NO, SE';
    case 'regex-list':
      return 'one pattern per line';
    case 'number':
      return 'a number, e.g. 30';
    case 'date':
      return 'YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ';
    case 'semver':
      return 'a version, e.g. 2.4.0';
    case 'segments':
      return 'pick segments';
  }
}
