import type { KubeObject } from '../kubernetes/kube-resources';
import type { EnvironmentPlan } from '../kubernetes/manifest-set';
import { isSecretReference, objectKey, recordedObjects, withoutSecretValues } from './release-objects';
import type { Rollout } from './rollout.entity';

const secret: KubeObject = {
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: {
    name: 'api-credentials',
    namespace: 'api-prod',
    annotations: { 'switchyard.dev/release': 'r1', 'kubectl.kubernetes.io/last-applied-configuration': '{"data":{"password":"aHVudGVyMi1sb25nLXZhbHVl"}}' },
  },
  type: 'Opaque',
  data: { password: Buffer.from('hunter2-long-value').toString('base64') },
  stringData: { token: 'plain-token-value' },
};
const config: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'api-settings', namespace: 'api-prod' }, data: { mode: 'careful' } };
const environment = { name: 'production', namespace: 'api-prod', approval: 'none', objects: [config, secret] } as unknown as EnvironmentPlan;

describe('release objects', () => {
  it('records every object, a Secret as a reference to the plan that holds its values (keys only)', () => {
    const recorded = recordedObjects({ id: 'rollout-1' }, environment);
    expect(recorded[0]).toBe(config);
    expect(recorded[1]).toEqual({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'api-credentials', namespace: 'api-prod', annotations: { 'switchyard.dev/release': 'r1' } },
      type: 'Opaque',
      valuesFrom: { rolloutId: 'rollout-1', environment: 'production' },
      keys: ['password', 'token'],
    });
    expect(isSecretReference(recorded[1])).toBe(true);
    expect(isSecretReference(secret)).toBe(false);
    expect(JSON.stringify(recorded)).not.toMatch(/hunter2|aHVudGVy|plain-token-value/);
    expect(objectKey(config)).toBe('v1/ConfigMap/api-settings');
  });

  it('shows a rollout with its Secrets hashed and leaves the stored one untouched', () => {
    const rollout = { id: 'rollout-1', plan: { environments: [environment] } } as unknown as Rollout;
    const shown = withoutSecretValues(rollout);
    const shownSecret = shown.plan.environments[0].objects[1];
    expect(shownSecret.data).toEqual({ password: expect.stringMatching(/^sha256:[0-9a-f]{16}$/) });
    expect(shownSecret.stringData).toEqual({ token: expect.stringMatching(/^sha256:[0-9a-f]{16}$/) });
    expect(shown.plan.environments[0].objects[0]).toEqual(config);
    expect(rollout.plan.environments[0].objects[1]).toBe(secret);
    expect(
      withoutSecretValues({ ...rollout, plan: { environments: [{ ...environment, objects: [config] }] } } as Rollout).plan.environments[0].objects,
    ).toEqual([config]);
  });
});
