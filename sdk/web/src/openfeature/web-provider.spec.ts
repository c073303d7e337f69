import { OpenFeature, ProviderEvents } from '@openfeature/web-sdk';
import { SwitchyardWebProvider } from './index';

describe('OpenFeature web provider', () => {
  afterEach(() => OpenFeature.close());

  it('evaluates through the web client and follows OpenFeature context changes', async () => {
    const contexts: unknown[] = [];
    const fetcher = (_url: string | URL | Request, init?: RequestInit): Promise<Response> => {
      const { context } = JSON.parse(String(init?.body)) as { context: { email?: string } };
      contexts.push(context);
      const on = context.email === 'alice@shop.example';
      return Promise.resolve(Response.json({ flags: [{ key: 'banner', value: on, variant: on ? 'on' : 'off', reason: on ? 'TARGETING_MATCH' : 'UNKNOWN' }] }));
    };
    const provider = new SwitchyardWebProvider({
      url: 'https://flags.test',
      clientToken: 't',
      fetch: fetcher,
      stream: false,
      storage: false,
      usageIntervalMs: false,
    });
    await OpenFeature.setContext({ targetingKey: 'anon' });
    await OpenFeature.setProviderAndWait(provider);
    const client = OpenFeature.getClient();
    expect(client.getBooleanDetails('banner', true)).toMatchObject({ value: false, variant: 'off', reason: 'UNKNOWN' });
    const changed = new Promise((resolve) => client.addHandler(ProviderEvents.ConfigurationChanged, resolve));
    await OpenFeature.setContext({ targetingKey: 'alice', email: 'alice@shop.example' });
    await changed;
    expect(client.getBooleanValue('banner', false)).toBe(true);
    expect(client.getStringDetails('banner', 'x')).toMatchObject({ value: 'x', errorCode: 'TYPE_MISMATCH' });
    expect(contexts).toEqual([{ targetingKey: 'anon' }, { targetingKey: 'alice', email: 'alice@shop.example' }]);
  });
});
