import { OFREPProvider } from '@openfeature/ofrep-provider';
import { OpenFeature, type Client, type EvaluationDetails, type JsonValue } from '@openfeature/server-sdk';
import type { FlagType } from '@switchyard/core';
import { loadVectors, type Vector, type VectorCase } from '../../../sdk/spec/load-vectors';
import { ApiClient } from '../../support/api-client';
import { startTestServer, type TestServer } from '../../support/test-server';
import { caseType, remoteErrorCode, representable, seedVector } from '../../support/conformance-vectors';

const DEFAULTS: Record<FlagType, JsonValue> = { boolean: false, string: '__default__', number: -424242, object: { __default__: true } };

/**
 * The conformance vectors through OFREP, with the official OpenFeature OFREP provider and server
 * SDK as the client. Vector flags are written straight into the record (some are deliberately
 * invalid, which the admin API would refuse) and published like any change.
 */
describe('OFREP conformance (official @openfeature/ofrep-provider)', () => {
  let server: TestServer;
  let client: Client;
  const vectors = loadVectors();

  beforeAll(async () => {
    server = await startTestServer({ redis: 'none' });
    const token = await new ApiClient(server.url, server.adminToken).token_('ofrep-conformance', ['sdk:development']);
    await OpenFeature.setProviderAndWait('ofrep', new OFREPProvider({ baseUrl: server.url, headers: [['Authorization', `Bearer ${token}`]] }));
    client = OpenFeature.getClient('ofrep');
  });
  afterAll(async () => {
    await OpenFeature.close();
    await server.close();
  });

  const load = (vector: Vector) => seedVector(server, vector);

  function details(type: FlagType, key: string, context: VectorCase['context']): Promise<EvaluationDetails<JsonValue>> {
    const ctx = context as Record<string, never>;
    switch (type) {
      case 'boolean':
        return client.getBooleanDetails(key, DEFAULTS.boolean as boolean, ctx);
      case 'string':
        return client.getStringDetails(key, DEFAULTS.string as string, ctx);
      case 'number':
        return client.getNumberDetails(key, DEFAULTS.number as number, ctx);
      case 'object':
        return client.getObjectDetails(key, DEFAULTS.object, ctx);
    }
  }

  for (const vector of vectors) {
    describe(vector.file, () => {
      beforeAll(() => load(vector));

      const cases = vector.cases.filter((c) => representable(vector, c));
      it.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
        const flag = vector.flags[c.flag];
        const type = caseType(vector, c);
        const result = await details(type, c.flag, c.context);
        if (c.expected.reason === 'ERROR') {
          // OFREP requests carry no expected type: the client checks the type after a successful
          // evaluation, so when evaluation itself fails that error is what the client sees.
          const errorCode = remoteErrorCode(vector, c);
          expect({ reason: result.reason, errorCode: result.errorCode, value: result.value }).toEqual({ reason: 'ERROR', errorCode, value: DEFAULTS[type] });
          return;
        }
        const ofrepReason = c.expected.reason === 'DEFAULT' ? (flag.rules.length === 0 ? 'STATIC' : 'UNKNOWN') : c.expected.reason;
        expect({ value: result.value, variant: result.variant, reason: result.reason }).toEqual({
          value: c.expected.value,
          variant: c.expected.variant,
          reason: ofrepReason,
        });
        expect(result.flagMetadata.reason).toBe(c.expected.reason);
        if (c.expected.ruleId) expect(result.flagMetadata.ruleId).toBe(c.expected.ruleId);
        expect(result.flagMetadata.failedPrerequisite).toBe(c.expected.failedPrerequisite);
      });
    });
  }

  it('covers at least 150 vector cases', () => {
    expect(vectors.flatMap((v) => v.cases.filter((c) => representable(v, c))).length).toBeGreaterThanOrEqual(150);
  });
});
