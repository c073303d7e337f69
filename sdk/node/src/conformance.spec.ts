// Runs every conformance vector of sdk/spec through the SDK's public API: each vector file's flags
// and segments are the bootstrap snapshot of an offline client, and every case is evaluated with
// the typed getter a caller would use.

import type { FlagType } from '@switchyard/core';
import { loadVectors, type VectorCase } from '../../spec/load-vectors';
import { DEFAULTS, expectedOutcome, typeFor } from './conformance.fixture';
import { createClient, type SwitchyardClient } from './switchyard-client';

function evaluate(client: SwitchyardClient, type: FlagType, c: VectorCase) {
  switch (type) {
    case 'boolean':
      return { details: client.getBooleanDetails(c.flag, DEFAULTS.boolean, c.context), value: client.getBooleanValue(c.flag, DEFAULTS.boolean, c.context) };
    case 'string':
      return { details: client.getStringDetails(c.flag, DEFAULTS.string, c.context), value: client.getStringValue(c.flag, DEFAULTS.string, c.context) };
    case 'number':
      return { details: client.getNumberDetails(c.flag, DEFAULTS.number, c.context), value: client.getNumberValue(c.flag, DEFAULTS.number, c.context) };
    case 'object':
      return { details: client.getObjectDetails(c.flag, DEFAULTS.object, c.context), value: client.getObjectValue(c.flag, DEFAULTS.object, c.context) };
  }
}

const vectors = loadVectors();

describe('conformance vectors through the Node SDK', () => {
  it('has vectors to run', () => {
    expect(vectors.length).toBeGreaterThan(5);
  });

  describe.each(vectors.map((v) => [v.file, v] as const))('%s', (_file, vector) => {
    let client: SwitchyardClient;
    beforeAll(async () => {
      client = await createClient({ offline: true, bootstrap: { environment: 'conformance', version: 1, flags: vector.flags, segments: vector.segments } });
    });
    afterAll(() => client.close());

    it.each(vector.cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
      const type = typeFor(vector, c);
      const { details, value } = evaluate(client, type, c);
      const expected = expectedOutcome(c, type);
      expect({
        value: details.value,
        variant: details.variant,
        reason: details.reason,
        errorCode: details.errorCode,
        ruleId: details.flagMetadata.ruleId,
        failedPrerequisite: details.flagMetadata.failedPrerequisite,
      }).toEqual(expected);
      expect(value).toEqual(expected.value);
      expect(details.flagMetadata).toMatchObject({ source: 'bootstrap', snapshotVersion: 1, environment: 'conformance' });
    });
  });
});
