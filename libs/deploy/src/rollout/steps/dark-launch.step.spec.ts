import type { KubeObject } from '../../kubernetes/kube-resources';
import { serviceUrl, SHADOW_OF_LABEL, shadowOf } from './dark-launch.step';

const deployment: KubeObject = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'quotes', namespace: 'quotes-prod', labels: { app: 'quotes', team: 'pricing' }, annotations: { 'switchyard.dev/release': 'r2' } },
  spec: {
    replicas: 4,
    selector: { matchLabels: { app: 'quotes', track: 'stable' } },
    template: {
      metadata: { labels: { app: 'quotes', track: 'stable', tier: 'api', team: 'pricing' } },
      spec: { containers: [{ name: 'quotes', image: 'registry.test/quotes@sha256:2' }] },
    },
  },
};
const service = (name: string, selector: Record<string, string>, port = 8080): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace: 'quotes-prod' },
  spec: { selector, ports: [{ name: 'http', port, targetPort: 'http', nodePort: 30080 }] },
});

describe('the dark launch shadow', () => {
  it('runs the release with pod labels no Service of the environment selects, behind a Service of its own', () => {
    const stable = service('quotes', { app: 'quotes' });
    const { deployment: shadow, service: shadowService } = shadowOf(deployment, stable, [stable, service('api-tier', { tier: 'api' })]);
    const podLabels = (shadow.spec as any).template.metadata.labels as Record<string, string>;
    expect(podLabels).toEqual({ team: 'pricing', track: 'shadow', [SHADOW_OF_LABEL]: 'quotes' });
    for (const selector of [{ app: 'quotes' }, { tier: 'api' }]) {
      expect(Object.entries(selector).every(([key, value]) => podLabels[key] === value)).toBe(false);
    }
    expect(shadow.metadata).toMatchObject({ name: 'quotes-shadow', namespace: 'quotes-prod', annotations: { 'switchyard.dev/release': 'r2' } });
    expect(shadow.spec).toMatchObject({ replicas: 1, selector: { matchLabels: { [SHADOW_OF_LABEL]: 'quotes' } } });
    expect((shadow.spec as any).template.spec.containers[0].image).toBe('registry.test/quotes@sha256:2');
    expect(shadowService).toMatchObject({
      metadata: { name: 'quotes-shadow', namespace: 'quotes-prod' },
      spec: { selector: { [SHADOW_OF_LABEL]: 'quotes' }, ports: [{ name: 'http', port: 8080, targetPort: 'http' }] },
    });
    // A node port belongs to one Service; the shadow's would collide with the stable one's.
    expect((shadowService.spec as any).ports[0].nodePort).toBeUndefined();
    // The stable Deployment is not touched.
    expect((deployment.spec as any).template.metadata.labels.app).toBe('quotes');
  });

  it('is reached by its cluster name, without the port when it is 80', () => {
    expect(serviceUrl(service('quotes-shadow', { a: 'b' }))).toBe('http://quotes-shadow.quotes-prod.svc:8080');
    expect(serviceUrl(service('quotes', { a: 'b' }, 80))).toBe('http://quotes.quotes-prod.svc');
  });
});
