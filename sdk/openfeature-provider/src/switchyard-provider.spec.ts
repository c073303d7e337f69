import {
  OpenFeature,
  ProviderEvents,
  ProviderStatus,
  type Client,
  type EvaluationContext,
  type EvaluationDetails,
  type FlagValue,
} from '@openfeature/server-sdk';
import type { FlagType } from '@switchyard/core';
import { createClient } from '@switchyard/node-sdk';
import { freePort } from '../../../test/support/free-port';
import { DEFAULTS, expectedOutcome, typeFor } from '../../node/src/conformance.fixture';
import { booleanFlag, ProtocolServer } from '../../node/src/protocol-server.fixture';
import { loadVectors, type VectorCase } from '../../spec/load-vectors';
import { SwitchyardProvider } from './switchyard-provider';

const fast = { timeoutMs: 2000, reconnectInitialMs: 50, reconnectMaxMs: 200, metricsIntervalMs: 0, token: 't' };

const snapshot = {
  environment: 'production',
  version: 5,
  flags: { dark: booleanFlag('dark', true), beta: booleanFlag('beta', false) },
  segments: {},
};

function evaluate(client: Client, type: FlagType, c: VectorCase): Promise<EvaluationDetails<FlagValue>> {
  const context = c.context as EvaluationContext;
  switch (type) {
    case 'boolean':
      return client.getBooleanDetails(c.flag, DEFAULTS.boolean, context);
    case 'string':
      return client.getStringDetails(c.flag, DEFAULTS.string, context);
    case 'number':
      return client.getNumberDetails(c.flag, DEFAULTS.number, context);
    case 'object':
      return client.getObjectDetails(c.flag, DEFAULTS.object, context);
  }
}

function nextProviderEvent(client: Client, event: ProviderEvents): Promise<Record<string, unknown> | undefined> {
  return new Promise((resolve) => {
    const handler = (details?: Record<string, unknown>) => {
      client.removeHandler(event, handler);
      resolve(details);
    };
    client.addHandler(event, handler);
  });
}

afterAll(async () => {
  await OpenFeature.close();
});

describe('conformance vectors through OpenFeature', () => {
  const vectors = loadVectors();

  describe.each(vectors.map((v) => [v.file, v] as const))('%s', (file, vector) => {
    let client: Client;
    beforeAll(async () => {
      const provider = new SwitchyardProvider({
        offline: true,
        bootstrap: { environment: 'conformance', version: 1, flags: vector.flags, segments: vector.segments },
      });
      await OpenFeature.setProviderAndWait(`conformance-${file}`, provider);
      client = OpenFeature.getClient(`conformance-${file}`);
    });

    it.each(vector.cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
      const type = typeFor(vector, c);
      const details = await evaluate(client, type, c);
      expect({
        value: details.value,
        variant: details.variant,
        reason: details.reason,
        errorCode: details.errorCode,
        ruleId: details.flagMetadata.ruleId,
        failedPrerequisite: details.flagMetadata.failedPrerequisite,
      }).toEqual(expectedOutcome(c, type));
      expect(details.flagKey).toBe(c.flag);
    });
  });
});

describe('SwitchyardProvider', () => {
  const servers: ProtocolServer[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });

  it('is READY after initialize, passes flag metadata through and emits configuration-changed with the keys', async () => {
    const server = await ProtocolServer.start(snapshot);
    servers.push(server);
    const provider = new SwitchyardProvider({ ...fast, url: server.url });
    await OpenFeature.setProviderAndWait('events', provider);
    const client = OpenFeature.getClient('events');
    expect(client.providerStatus).toBe(ProviderStatus.READY);
    expect(client.metadata.providerMetadata.name).toBe('switchyard');
    const details = await client.getBooleanDetails('dark', false, { targetingKey: 'u1' });
    expect(details).toMatchObject({ value: true, variant: 'on', reason: 'DEFAULT', flagMetadata: { source: 'server', snapshotVersion: 5, flagVersion: 1 } });

    const changed = nextProviderEvent(client, ProviderEvents.ConfigurationChanged);
    server.publish({ beta: booleanFlag('beta', true, 2), gone: null });
    expect(await changed).toMatchObject({ flagsChanged: ['beta', 'gone'], providerName: 'switchyard' });
    expect(await client.getBooleanValue('beta', false)).toBe(true);

    const stale = nextProviderEvent(client, ProviderEvents.Stale);
    server.dropStreams();
    await stale;
    expect(client.providerStatus).toBe(ProviderStatus.STALE);
    expect(await client.getBooleanValue('dark', false)).toBe(true);
    await nextProviderEvent(client, ProviderEvents.Ready);
    expect(client.providerStatus).toBe(ProviderStatus.READY);

    await OpenFeature.clearProviders();
    expect(provider.client?.status).toBe('closed');
  });

  it('fails initialize when the server is down with nothing cached, serves defaults, then turns READY when the server answers', async () => {
    const port = await freePort();
    const provider = new SwitchyardProvider({ ...fast, url: `http://127.0.0.1:${port}`, timeoutMs: 300 });
    await expect(OpenFeature.setProviderAndWait('cold', provider)).rejects.toThrow(/no flags loaded/);
    const client = OpenFeature.getClient('cold');
    expect(client.providerStatus).toBe(ProviderStatus.ERROR);
    expect(await client.getBooleanDetails('dark', false)).toMatchObject({ value: false, reason: 'ERROR', errorCode: 'PROVIDER_NOT_READY' });

    const ready = nextProviderEvent(client, ProviderEvents.Ready);
    servers.push(await ProtocolServer.start(snapshot, port));
    await ready;
    expect(client.providerStatus).toBe(ProviderStatus.READY);
    expect(await client.getBooleanValue('dark', false)).toBe(true);
    await OpenFeature.clearProviders();
  });

  it('emits PROVIDER_ERROR when the server refuses the token', async () => {
    const server = await ProtocolServer.start(snapshot);
    servers.push(server);
    const provider = new SwitchyardProvider({ ...fast, url: server.url });
    await OpenFeature.setProviderAndWait('refused', provider);
    const client = OpenFeature.getClient('refused');
    server.refuseWith = 403;
    const error = nextProviderEvent(client, ProviderEvents.Error);
    server.dropStreams();
    expect(await error).toMatchObject({ metadata: { kind: 'http', status: 403 } });
    expect(client.providerStatus).toBe(ProviderStatus.ERROR);
    // Still serving what it had.
    expect(await client.getBooleanValue('dark', false)).toBe(true);
    await OpenFeature.clearProviders();
  });

  it('wraps an existing SDK client without taking ownership of it', async () => {
    const sdk = await createClient({ offline: true, bootstrap: snapshot });
    const provider = new SwitchyardProvider(sdk);
    await OpenFeature.setProviderAndWait('shared', provider);
    expect(await OpenFeature.getClient('shared').getBooleanValue('dark', false)).toBe(true);
    await OpenFeature.clearProviders();
    expect(sdk.status).toBe('ready');
    expect(sdk.getBooleanValue('dark', false)).toBe(true);
    await sdk.close();
  });

  it('answers PROVIDER_NOT_READY when used before initialize', async () => {
    const provider = new SwitchyardProvider({ offline: true, bootstrap: snapshot });
    await expect(provider.resolveBooleanEvaluation('dark', false, {})).resolves.toMatchObject({
      value: false,
      reason: 'ERROR',
      errorCode: 'PROVIDER_NOT_READY',
    });
  });
});
