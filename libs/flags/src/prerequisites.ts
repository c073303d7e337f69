// Write-time checks of flag prerequisites. The engine (sdk/core) only checks the shape of a
// prerequisite list and fails a prerequisite it cannot satisfy; whether the named flag exists, has
// the named variants, and whether the links form a cycle or too long a chain depends on the other
// flags, so the service checks it here before anything is written.

import { MAX_PREREQUISITE_DEPTH, type Prerequisite } from '@switchyard/core';
import { AppError, ConflictError, type ErrorDetail } from '@switchyard/errors';
import type { FlagView, StoredConfig } from './flag.types';

export class PrerequisiteCycleError extends AppError {
  constructor(environment: string, problem: string, path: string) {
    super('PREREQUISITE_CYCLE', `prerequisites in ${environment} ${problem}`, 409, [{ path, problem }]);
  }
}

const quote = (s: string) => JSON.stringify(s);

/**
 * Problems with the flags and variants that `prerequisites` name: each must be an existing,
 * unarchived flag, and each variant one of its variants. Paths are `${prefix}prerequisites[i]…`.
 */
export function prerequisiteReferenceProblems(
  prerequisites: readonly Prerequisite[] | undefined,
  flags: ReadonlyMap<string, FlagView>,
  prefix: string,
): ErrorDetail[] {
  const problems: ErrorDetail[] = [];
  (prerequisites ?? []).forEach((p, i) => {
    const target = flags.get(p.flag);
    if (!target) {
      problems.push({ path: `${prefix}prerequisites[${i}].flag`, problem: `no flag ${quote(p.flag)} exists` });
      return;
    }
    if (target.archived) {
      problems.push({ path: `${prefix}prerequisites[${i}].flag`, problem: `flag ${quote(p.flag)} is archived` });
      return;
    }
    p.variants.forEach((variant, j) => {
      if (!Object.hasOwn(target.variants, variant)) {
        const known = Object.keys(target.variants).map(quote).join(', ');
        problems.push({
          path: `${prefix}prerequisites[${i}].variants[${j}]`,
          problem: `flag ${quote(p.flag)} has no variant ${quote(variant)} (variants: ${known})`,
        });
      }
    });
  });
  return problems;
}

/**
 * Refuses `config` as `key`'s configuration in `environment` when, with every other flag's
 * prerequisites there, it would close a cycle or make a chain of more than MAX_PREREQUISITE_DEPTH
 * links through `key`. `flags` is every flag (the current state); archived flags are ignored.
 */
export function assertPrerequisiteGraph(key: string, environment: string, config: StoredConfig, flags: ReadonlyMap<string, FlagView>, path: string): void {
  if (!config.prerequisites?.length) return;
  const edges = (flag: string): string[] => {
    if (flag === key) return (config.prerequisites ?? []).map((p) => p.flag);
    const other = flags.get(flag);
    if (!other || other.archived) return [];
    return (other.environments[environment]?.prerequisites ?? []).map((p) => p.flag);
  };

  // A cycle through `key` is a path from `key` back to itself.
  const cycle = pathBack(key, edges);
  if (cycle) throw new PrerequisiteCycleError(environment, `would form a cycle: ${cycle.join(' → ')}`, path);

  // Writes keep the rest of the graph acyclic, so the longest chains below and above `key` are
  // finite; `seen` still bounds the walk should stored data hold a cycle anyway.
  const down = longestChain(key, edges);
  const dependants = new Map<string, string[]>();
  for (const flag of [...flags.keys(), key]) {
    for (const to of edges(flag)) dependants.set(to, [...(dependants.get(to) ?? []), flag]);
  }
  const up = longestChain(key, (flag) => dependants.get(flag) ?? []).reverse();
  const chain = [...up.slice(0, -1), ...down];
  if (chain.length - 1 > MAX_PREREQUISITE_DEPTH) {
    throw new PrerequisiteCycleError(
      environment,
      `would make a chain of ${chain.length - 1} prerequisite links (at most ${MAX_PREREQUISITE_DEPTH}): ${chain.join(' → ')}`,
      path,
    );
  }
}

/** The flags that list `key` as a prerequisite in any environment (unarchived flags only), with where. */
export function dependantsOf(key: string, flags: Iterable<FlagView>): Array<{ flag: string; environment: string; variants: string[] }> {
  const out: Array<{ flag: string; environment: string; variants: string[] }> = [];
  for (const flag of flags) {
    if (flag.archived || flag.key === key) continue;
    for (const [environment, config] of Object.entries(flag.environments)) {
      const p = config.prerequisites?.find((q) => q.flag === key);
      if (p) out.push({ flag: flag.key, environment, variants: p.variants });
    }
  }
  return out;
}

/** Archiving a flag that others depend on would silently turn them off: refuse, naming them. */
export function assertNoDependants(key: string, flags: Iterable<FlagView>): void {
  const dependants = dependantsOf(key, flags);
  if (!dependants.length) return;
  const names = [...new Set(dependants.map((d) => d.flag))];
  throw new ConflictError(
    `flag "${key}" is a prerequisite of ${names.join(', ')}; remove it from their prerequisites first`,
    { dependants: names },
    dependants.map((d) => ({ path: 'archived', problem: `flag "${d.flag}" lists it as a prerequisite in ${d.environment}` })),
  );
}

/** Removing a variant that a dependant lists would make that prerequisite fail for everyone. */
export function removedVariantProblems(key: string, variants: Record<string, unknown>, flags: Iterable<FlagView>): ErrorDetail[] {
  return dependantsOf(key, flags).flatMap((d) =>
    d.variants
      .filter((variant) => !Object.hasOwn(variants, variant))
      .map((variant) => ({ path: `variants.${variant}`, problem: `is listed by flag "${d.flag}" as a prerequisite variant in ${d.environment}` })),
  );
}

function pathBack(start: string, edges: (flag: string) => string[]): string[] | undefined {
  const seen = new Set<string>();
  const walk = (flag: string, trail: string[]): string[] | undefined => {
    for (const next of edges(flag)) {
      if (next === start) return [...trail, next];
      if (seen.has(next)) continue;
      seen.add(next);
      const found = walk(next, [...trail, next]);
      if (found) return found;
    }
    return undefined;
  };
  return walk(start, [start]);
}

/** The longest path of flags starting at `start` (start included). */
function longestChain(start: string, edges: (flag: string) => string[]): string[] {
  const memo = new Map<string, string[]>();
  const visiting = new Set<string>();
  const walk = (flag: string): string[] => {
    const known = memo.get(flag);
    if (known) return known;
    if (visiting.has(flag)) return [flag];
    visiting.add(flag);
    let best: string[] = [];
    for (const next of edges(flag)) {
      const tail = walk(next);
      if (tail.length > best.length) best = tail;
    }
    visiting.delete(flag);
    const result = [flag, ...best];
    memo.set(flag, result);
    return result;
  };
  return walk(start);
}
