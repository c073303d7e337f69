import type { FlagType } from '@switchyard/core';
import { loadVectors, type Vector } from '../../../sdk/spec/load-vectors';
import { createClient, type SwitchyardWebClient } from '../../../sdk/web/src/web-client';
import { ApiClient } from '../../support/api-client';
import { startTestServer, type TestServer } from '../../support/test-server';
import { caseType, remoteErrorCode, representable, seedVector } from '../../support/conformance-vectors';

const DEFAULTS = { boolean: false, string: '__default__', number: -424242, object: { __default__: true } } as const;

/**
 * The conformance vectors through the web SDK: a browser client (client token, evaluated values over
 * OFREP) against a real server, one context per case. Vector flags are written straight into the
 * record, as in the OFREP conformance suite (some are deliberately invalid).
 */
describe('web SDK conformance', () => {
  let server: TestServer;
  let clientToken: string;
  const vectors = loadVectors();

  beforeAll(async () => {
    // One bulk request per case: lift the per-address rate far above what the suite sends.
    server = await startTestServer({ redis: 'none', env: { CLIENT_RATE_PER_ADDRESS: '100000' } });
    const token = await new ApiClient(server.url, server.adminToken).post('/api/v1/tokens', { name: 'web-conformance', scopes: ['client:development'] });
    expect(token.status).toBe(201);
    clientToken = token.body.secret;
  });
  afterAll(() => server.close());

  const load = (vector: Vector) => seedVector(server, vector);

  function details(client: SwitchyardWebClient, type: FlagType, key: string) {
    switch (type) {
      case 'boolean':
        return client.getBooleanDetails(key, DEFAULTS.boolean);
      case 'string':
        return client.getStringDetails(key, DEFAULTS.string);
      case 'number':
        return client.getNumberDetails(key, DEFAULTS.number);
      case 'object':
        return client.getObjectDetails(key, DEFAULTS.object);
    }
  }

  for (const vector of vectors) {
    describe(vector.file, () => {
      let client: SwitchyardWebClient;
      beforeAll(async () => {
        await load(vector);
        // A client per file: answers cached for a context must not outlive the flags they came from.
        client = createClient({ url: server.url, clientToken, stream: false, storage: false, usageIntervalMs: false });
        await client.ready;
      });
      afterAll(() => client.close());

      const cases = vector.cases.filter((c) => representable(vector, c));
      it.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
        const type = caseType(vector, c);
        await client.setContext(c.context);
        const result = details(client, type, c.flag);
        if (c.expected.reason === 'ERROR') {
          // The server evaluates without the expected type; the client checks the type of a successful answer.
          const errorCode = remoteErrorCode(vector, c);
          expect({ reason: result.reason, errorCode: result.errorCode, value: result.value }).toEqual({ reason: 'ERROR', errorCode, value: DEFAULTS[type] });
          return;
        }
        expect({ value: result.value, variant: result.variant, reason: result.reason }).toEqual({
          value: c.expected.value,
          variant: c.expected.variant,
          reason: c.expected.reason,
        });
      });
    });
  }

  it('covers at least 150 vector cases', () => {
    expect(vectors.flatMap((v) => v.cases.filter((c) => representable(v, c))).length).toBeGreaterThanOrEqual(150);
  });
});
