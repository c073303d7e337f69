import { parse } from 'yaml';
import { flagDocument, toYaml, type JsonObject } from './flag-documents';
import { diffLines, planChanges, type ServerState } from './flags-plan';

const production = { key: 'production', name: 'Production', requiresConfirmation: true, requiresComment: false, version: 4 };

function serverWith(config: JsonObject): ServerState {
  return {
    environments: [production],
    segments: [],
    flags: [
      {
        key: 'checkout',
        name: 'checkout',
        description: '',
        tags: [],
        clientSide: false,
        owner: null,
        type: 'boolean',
        variants: { on: true, off: false },
        variantDescriptions: {},
        archived: false,
        version: 7,
        createdAt: '2026-12-01T00:00:00.000Z',
        updatedAt: '2026-12-01T00:00:00.000Z',
        environments: { production: { ...config, version: 3, updatedAt: '2026-12-01T00:00:00.000Z' } },
      },
    ],
  };
}

const rollout = (on: number) => ({
  rollout: [
    { variant: 'on', weight: on },
    { variant: 'off', weight: 100000 - on },
  ],
  salt: 's1',
});

describe('flags as code documents and plans', () => {
  it('writes words that YAML 1.1 readers take for booleans in quotes, and reads them back as strings', () => {
    const text = toYaml({ variants: { on: true, off: false }, defaultServe: { variant: 'on' }, values: ['yes', 'No', 'maybe'] });
    expect(text).toContain('"on": true');
    expect(text).toContain('variant: "on"');
    expect(text).toContain('- "yes"');
    expect(text).toContain('- maybe');
    expect(parse(text)).toEqual({ variants: { on: true, off: false }, defaultServe: { variant: 'on' }, values: ['yes', 'No', 'maybe'] });
  });

  it('orders fields the same whatever order the server sends them in, and leaves out versions and timestamps', () => {
    const flag = serverWith({ rules: [], defaultServe: { salt: 's1', rollout: [{ weight: 5, variant: 'on' }] }, offVariant: 'off', enabled: true }).flags[0];
    const reversed = Object.fromEntries(Object.entries(flag).reverse());
    expect(toYaml(flagDocument(reversed, ['production']))).toBe(toYaml(flagDocument(flag, ['production'])));
    expect(Object.keys(flagDocument(flag, ['production']))).toEqual(['key', 'name', 'description', 'type', 'tags', 'clientSide', 'variants', 'environments']);
    const config = (flagDocument(flag, ['production']).environments as JsonObject).production as JsonObject;
    expect(Object.keys(config)).toEqual(['enabled', 'offVariant', 'defaultServe', 'rules']);
    expect(Object.keys(config.defaultServe as JsonObject)).toEqual(['rollout', 'salt']);
  });

  it('takes rule ids and salts a file leaves out from the server, so they are no change and users keep their buckets', () => {
    const server = serverWith({
      enabled: true,
      offVariant: 'off',
      rules: [{ id: 'r1', conditions: [], serve: rollout(20000) }],
      defaultServe: { variant: 'on' },
    });
    const file = {
      key: 'checkout',
      type: 'boolean',
      environments: { production: { rules: [{ conditions: [], serve: { rollout: rollout(20000).rollout } }] } },
    };
    expect(planChanges({ environments: undefined, segments: [], flags: [file] }, server, { prune: false }).steps).toEqual([]);

    file.environments.production.rules[0].serve.rollout = rollout(30000).rollout;
    const [step] = planChanges({ environments: undefined, segments: [], flags: [file] }, server, { prune: false }).steps;
    expect(step.target).toBe('flag checkout in production');
    expect(step.environments).toEqual(['production']);
    expect(step.request).toEqual({
      method: 'PATCH',
      path: '/api/v1/flags/checkout/environments/production',
      body: { rules: [{ id: 'r1', conditions: [], serve: rollout(30000) }] },
      ifMatch: { flag: 'checkout' },
    });
    expect(step.details).toEqual(['rules[0].serve.rollout[0].weight: 20000 → 30000', 'rules[0].serve.rollout[1].weight: 80000 → 70000']);
  });

  it('keeps a removed variant until the targeting that uses it has changed', () => {
    const server = serverWith({ enabled: true, offVariant: 'off', rules: [], defaultServe: { variant: 'on' } });
    server.flags[0].type = 'string';
    server.flags[0].variants = { on: 'a', off: 'b' };
    const file = { key: 'checkout', type: 'string', variants: { on: 'a', dark: 'c' }, environments: { production: { offVariant: 'dark' } } };
    const steps = planChanges({ environments: undefined, segments: [], flags: [file] }, server, { prune: false }).steps;
    expect(steps.map((s) => [s.target, s.request.body])).toEqual([
      ['flag checkout', { variants: { on: 'a', dark: 'c', off: 'b' } }],
      ['flag checkout in production', { offVariant: 'dark' }],
      ['flag checkout', { variants: { on: 'a', dark: 'c' } }],
    ]);
  });

  it('lists flags only on the server as not in git, and archives them only with prune', () => {
    const server = serverWith({ enabled: false, offVariant: 'off', rules: [], defaultServe: { variant: 'on' } });
    const kept = planChanges({ environments: undefined, segments: [], flags: [] }, server, { prune: false });
    expect(kept).toEqual({ steps: [], notInGit: ['flag checkout'], errors: [] });
    const pruned = planChanges({ environments: undefined, segments: [], flags: [] }, server, { prune: true });
    expect(pruned.steps.map((s) => [s.action, s.request.method, s.request.path])).toEqual([['delete', 'DELETE', '/api/v1/flags/checkout']]);
  });

  it('creates new flags before the flags whose prerequisites name them, and before every update', () => {
    const server = serverWith({ enabled: true, offVariant: 'off', rules: [], defaultServe: { variant: 'on' } });
    const needs = (flag: string) => ({ production: { prerequisites: [{ flag, variants: ['on'] }] } });
    const flags: JsonObject[] = [
      { key: 'a-new', type: 'boolean', environments: needs('b-new') },
      { key: 'b-new', type: 'boolean' },
      { key: 'checkout', type: 'boolean', environments: needs('a-new') },
    ];
    const plan = planChanges({ environments: undefined, segments: [], flags }, server, { prune: false });
    expect(plan.steps.map((s) => `${s.action} ${s.target}`)).toEqual(['create flag b-new', 'create flag a-new', 'update flag checkout in production']);
  });

  it('refuses targeting for an environment the server does not have', () => {
    const server = serverWith({ enabled: false, offVariant: 'off', rules: [], defaultServe: { variant: 'on' } });
    const plan = planChanges(
      { environments: undefined, segments: [], flags: [{ key: 'checkout', type: 'boolean', environments: { qa: { enabled: true } } }] },
      server,
      {
        prune: false,
      },
    );
    expect(plan.errors).toEqual(['flags/checkout.yaml: environments.qa: is not an environment of the server (add it to environments.yaml)']);
  });

  it('refuses a type change as a whole', () => {
    const server = serverWith({ enabled: false, offVariant: 'off', rules: [], defaultServe: { variant: 'on' } });
    const plan = planChanges({ environments: undefined, segments: [], flags: [{ key: 'checkout', type: 'string', variants: { a: 'a' } }] }, server, {
      prune: false,
    });
    expect(plan.errors[0]).toContain('flags/checkout.yaml: type: is "string" but the flag on the server is "boolean"');
  });

  it('describes a changed leaf by its path', () => {
    expect(diffLines({ a: { b: [1, 2] }, c: 'x' }, { a: { b: [1, 3] }, c: 'x' })).toEqual(['a.b[1]: 2 → 3']);
    expect(diffLines({ rules: [] }, { rules: [{ id: 'r' }] })).toEqual(['rules: [] → [{"id":"r"}]']);
  });
});
