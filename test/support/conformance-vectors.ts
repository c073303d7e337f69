import { compileSnapshot, type ErrorCode, type FlagType } from '@switchyard/core';
import { Database } from '@switchyard/persistence';
import { EnvironmentSnapshots } from '@switchyard/store';
import type { Vector, VectorCase } from '../../sdk/spec/load-vectors';
import type { TestServer } from './test-server';

/**
 * Replaces every flag and segment in `development` with one conformance vector's, written straight
 * into the record (some vector flags are deliberately invalid, which the admin API would refuse),
 * and publishes them like any change: the environment's version moves and its snapshot is rebuilt.
 */
export async function seedVector(server: TestServer, vector: Vector): Promise<void> {
  const db = server.app.get(Database);
  await db.transaction(async (m) => {
    await m.query('DELETE FROM flags');
    await m.query('DELETE FROM segments');
    for (const [key, segment] of Object.entries(vector.segments)) {
      await m.query('INSERT INTO segments (key, name, conditions) VALUES ($1, $1, $2)', [key, JSON.stringify(segment.conditions ?? null)]);
    }
    for (const [key, flag] of Object.entries(vector.flags)) {
      await m.query('INSERT INTO flags (key, name, type, variants) VALUES ($1, $1, $2, $3)', [key, flag.type, JSON.stringify(flag.variants ?? null)]);
      const config = {
        enabled: flag.enabled,
        offVariant: flag.offVariant,
        rules: flag.rules,
        defaultServe: flag.defaultServe,
        ...(flag.prerequisites !== undefined ? { prerequisites: flag.prerequisites } : {}),
      };
      await m.query("INSERT INTO flag_environments (flag_key, environment_key, config, version) VALUES ($1, 'development', $2, $3)", [
        key,
        JSON.stringify(config),
        flag.version ?? 1,
      ]);
    }
    await m.query("UPDATE environments SET version = version + 1 WHERE key = 'development'");
  });
  const env: Array<{ version: string }> = await db.query("SELECT version FROM environments WHERE key = 'development'");
  const state = await server.app.get(EnvironmentSnapshots).refresh('development', Number(env[0].version));
  expect(state?.version).toBe(Number(env[0].version));
}

/** Flags listed under a key other than their own cannot exist in the record (the key is the row's key). */
export const representable = (vector: Vector, c: VectorCase): boolean => !vector.flags[c.flag] || vector.flags[c.flag].key === c.flag;

/** The type a case asks its flag as: the case's own, else its flag's, else boolean (a missing flag). */
export function caseType(vector: Vector, c: VectorCase): FlagType {
  const flag = vector.flags[c.flag];
  return (c.expectedType ?? (flag && ['boolean', 'string', 'number', 'object'].includes(flag.type) ? flag.type : 'boolean')) as FlagType;
}

/**
 * The error code a remote client sees for an ERROR case. Remote evaluation carries no expected type:
 * the client checks the type only after a successful evaluation, so where evaluation itself fails
 * that error is the one seen instead of TYPE_MISMATCH.
 */
export function remoteErrorCode(vector: Vector, c: VectorCase): ErrorCode | undefined {
  let errorCode = c.expected.errorCode;
  if (errorCode === 'TYPE_MISMATCH') {
    const remote = compileSnapshot({ environment: 'development', version: 1, flags: vector.flags, segments: vector.segments }).evaluate(c.flag, c.context);
    if (remote.reason === 'ERROR') errorCode = remote.errorCode;
  }
  return errorCode;
}
