import { createHash } from 'node:crypto';
import type { EnvironmentState } from '@switchyard/store';
import { evaluateForOfrep, type OfrepFailure, type OfrepSuccess } from './ofrep-response';

/** OFREP's fixed error texts: a client token never gets a message built from the flag's configuration. */
const CLIENT_ERROR_DETAILS: Record<string, string> = {
  FLAG_NOT_FOUND: 'flag not found in this environment',
  TYPE_MISMATCH: 'the flag’s type does not match the requested type',
  TARGETING_KEY_MISSING: 'the context has no targeting key for this flag’s rollout',
  PARSE_ERROR: 'the flag’s configuration is invalid',
  GENERAL: 'evaluation failed',
};

/**
 * One flag's answer for a browser: value, variant and reason only. Rule ids and evaluation error
 * texts stay on the server — they name parts of the targeting the page has no business seeing.
 * A flag the token's filter hides is indistinguishable from one that does not exist.
 */
export function evaluateForClient(
  state: EnvironmentState,
  key: string,
  context: Record<string, unknown>,
  visible: (key: string) => boolean,
): OfrepSuccess | OfrepFailure {
  if (!visible(key) || !state.compiled.flag(key)) return { key, errorCode: 'FLAG_NOT_FOUND', errorDetails: CLIENT_ERROR_DETAILS.FLAG_NOT_FOUND };
  const result = evaluateForOfrep(state, key, context);
  if ('errorCode' in result) return { key, errorCode: result.errorCode, errorDetails: CLIENT_ERROR_DETAILS[result.errorCode] ?? CLIENT_ERROR_DETAILS.GENERAL };
  // The failed prerequisite names another flag, which the token's filter may hide.
  const { ruleId: _ruleId, failedPrerequisite: _failedPrerequisite, ...metadata } = result.metadata;
  return { ...result, metadata };
}

/** Every flag the token may see, evaluated for one context. */
export function evaluateAllForClient(
  state: EnvironmentState,
  context: Record<string, unknown>,
  visible: (key: string) => boolean,
): Array<OfrepSuccess | OfrepFailure> {
  return state.compiled
    .keys()
    .filter(visible)
    .map((key) => evaluateForClient(state, key, context, visible));
}

/** The bulk answer's ETag: snapshot version, which flags the token sees, and the context. */
export function clientEtag(state: EnvironmentState, filterKey: string, catalogGeneration: number, contextJson: string): string {
  const digest = createHash('sha1').update(`${filterKey}\n${catalogGeneration}\n${contextJson}`).digest('base64url').slice(0, 16);
  return `W/"${state.environment}:${state.version}:${digest}"`;
}
