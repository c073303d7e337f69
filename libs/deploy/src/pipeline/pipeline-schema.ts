import Ajv, { type ErrorObject } from 'ajv';
import { darkLaunchViolations, normaliseDarkLaunch } from './dark-launch-spec';
import { flagReleaseViolations, normaliseFlagRelease } from './flag-release-spec';
import type { PipelineSpec } from './pipeline-spec';
import schemaDocument from './switchyard.schema.json';

/** The JSON Schema of `switchyard.yml`, for editors (`# yaml-language-server: $schema=…`) and the API docs. */
export const PIPELINE_SCHEMA: Record<string, unknown> = schemaDocument;

/**
 * A schema violation located by the path of the offending value. `at` says which YAML node to
 * point at: the value itself, its key (unknown fields, bad names) or the parent (missing fields).
 */
export interface SchemaViolation {
  segments: string[];
  at: 'value' | 'key' | 'parent';
  problem: string;
}

const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true, useDefaults: true, verbose: true });
// Our own annotation: the sentence shown when a pattern does not match (a regex is not a message).
ajv.addKeyword({ keyword: 'x-problem', schemaType: 'string' });
const validate = ajv.compile<PipelineSpec>(schemaDocument);

/**
 * Validates plain data (already parsed from YAML or received as JSON) and applies defaults in place.
 * Returns the violations in a stable order, without ajv's noise (duplicates, umbrella errors).
 */
export function checkPipelineSchema(data: unknown): { spec?: PipelineSpec; violations: SchemaViolation[] } {
  if (validate(data)) {
    const semantic = deployViolations(data);
    return semantic.length ? { violations: semantic } : { spec: normalise(data), violations: [] };
  }
  const seen = new Set<string>();
  const violations: SchemaViolation[] = [];
  for (const error of validate.errors ?? []) {
    const violation = describe(error);
    if (!violation) continue;
    const key = `${violation.segments.join('\u0000')}|${violation.problem}`;
    if (seen.has(key)) continue;
    seen.add(key);
    violations.push(violation);
  }
  return { violations };
}

export function pathOf(segments: string[]): string {
  return segments.map((segment, i) => (/^\d+$/.test(segment) ? `[${segment}]` : i === 0 ? segment : `.${segment}`)).join('');
}

/** What JSON Schema cannot say: names unique within their list, and a metric that has a bound. */
function deployViolations(data: PipelineSpec): SchemaViolation[] {
  const violations: SchemaViolation[] = [];
  const environments = data.deploy?.environments ?? [];
  const seen = new Set<string>();
  environments.forEach((environment, i) => {
    if (seen.has(environment.name))
      violations.push({
        segments: ['deploy', 'environments', String(i), 'name'],
        at: 'value',
        problem: `"${environment.name}" is already an environment above`,
      });
    seen.add(environment.name);
    violations.push(
      ...darkLaunchViolations(environment.darkLaunch as unknown as Record<string, unknown> | undefined, ['deploy', 'environments', String(i), 'darkLaunch']),
    );
    violations.push(
      ...flagReleaseViolations(environment.release as unknown as Record<string, unknown> | undefined, ['deploy', 'environments', String(i), 'release']),
    );
    const metrics = environment.canary?.analysis.metrics ?? [];
    const names = new Set<string>();
    metrics.forEach((metric, j) => {
      const at = ['deploy', 'environments', String(i), 'canary', 'analysis', 'metrics', String(j)];
      if (names.has(metric.name)) violations.push({ segments: [...at, 'name'], at: 'value', problem: `"${metric.name}" is already a metric of this analysis` });
      names.add(metric.name);
      if (metric.max === undefined && metric.min === undefined && metric.compare === undefined) {
        violations.push({ segments: at, at: 'value', problem: 'needs a bound: max, min or compare' });
      }
    });
  });
  return violations;
}

function normalise(data: PipelineSpec): PipelineSpec {
  // Build args may be written as numbers or booleans in YAML (PORT: 8080); builders want strings.
  const args = Object.fromEntries(Object.entries(data.build.args ?? {}).map(([name, value]) => [name, String(value)]));
  const deploy = data.deploy
    ? {
        ...data.deploy,
        manifests: data.deploy.manifests.replace(/\/+$/, '') || '.',
        environments: data.deploy.environments
          .map((environment) =>
            environment.darkLaunch
              ? { ...environment, darkLaunch: normaliseDarkLaunch(environment.darkLaunch as unknown as Record<string, unknown>) }
              : environment,
          )
          .map((environment) =>
            environment.release ? { ...environment, release: normaliseFlagRelease(environment.release as unknown as Record<string, unknown>) } : environment,
          ),
      }
    : undefined;
  return { ...data, build: { ...data.build, args }, ...(deploy ? { deploy } : {}) };
}

function describe(error: ErrorObject): SchemaViolation | undefined {
  const segments = pointerSegments(error.instancePath);
  const parentSchema = (error.parentSchema ?? {}) as Record<string, unknown>;
  // propertyNames reports once per bad name (keyword "pattern" with propertyName) and once as an umbrella error.
  if (error.keyword === 'propertyNames') return undefined;
  if (error.propertyName !== undefined) {
    return { segments: [...segments, error.propertyName], at: 'key', problem: problemFor(error, parentSchema) };
  }
  switch (error.keyword) {
    case 'required': {
      const missing = String((error.params as { missingProperty: string }).missingProperty);
      return { segments: [...segments, missing], at: 'parent', problem: 'is required' };
    }
    case 'additionalProperties': {
      const extra = String((error.params as { additionalProperty: string }).additionalProperty);
      const known = Object.keys((parentSchema.properties ?? {}) as Record<string, unknown>).filter((name) => name !== '$schema');
      const guess = closest(extra, known);
      const hint = guess ? ` (did you mean "${guess}"?)` : known.length ? ` (expected one of: ${known.join(', ')})` : '';
      return { segments: [...segments, extra], at: 'key', problem: `is not a known field${hint}` };
    }
    default:
      return { segments, at: 'value', problem: problemFor(error, parentSchema) };
  }
}

function problemFor(error: ErrorObject, parentSchema: Record<string, unknown>): string {
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'type': {
      const types = String(params.type).split(',');
      return `must be ${joinOr(types.map(typeName))}`;
    }
    case 'pattern':
      return typeof parentSchema['x-problem'] === 'string' ? parentSchema['x-problem'] : `must match ${String(params.pattern)}`;
    case 'minLength':
      return params.limit === 1 ? 'must not be empty' : `must be at least ${String(params.limit)} characters`;
    case 'maxLength':
      return `must be at most ${String(params.limit)} characters`;
    case 'const':
      return `must be ${JSON.stringify(params.allowedValue)}`;
    case 'enum':
      return `must be one of: ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    default:
      return error.message ?? 'is invalid';
  }
}

function typeName(type: string): string {
  switch (type) {
    case 'object':
      return 'a mapping';
    case 'array':
      return 'a list';
    case 'string':
      return 'a string';
    case 'integer':
      return 'an integer';
    case 'number':
      return 'a number';
    case 'boolean':
      return 'true or false';
    case 'null':
      return 'empty';
    default:
      return type;
  }
}

function joinOr(items: string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} or ${items[items.length - 1]}`;
}

function pointerSegments(pointer: string): string[] {
  if (!pointer) return [];
  return pointer
    .slice(1)
    .split('/')
    .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** The known name a typo most likely meant (edit distance ≤ 2), for "did you mean". */
function closest(word: string, candidates: string[]): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const name of candidates) {
    const distance = editDistance(word.toLowerCase(), name.toLowerCase());
    if (distance <= 2 && (!best || distance < best.distance)) best = { name, distance };
  }
  return best?.name;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length];
}
