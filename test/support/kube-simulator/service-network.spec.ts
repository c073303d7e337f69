import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { waitFor } from '../test-server';
import { KubeSimulator } from './kube-simulator';
import { ServiceNetwork } from './service-network';

/** A process stand-in that answers with its own name, so a test can tell who played a request. */
async function upstream(name: string): Promise<{ server: Server; url: string }> {
  const server = createServer((request, response) => response.end(JSON.stringify({ name, path: request.url })));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe('simulator service network', () => {
  let sim: KubeSimulator;
  let network: ServiceNetwork;
  const upstreams: Server[] = [];

  const api = async (method: string, path: string, body: unknown) => {
    const res = await fetch(`${sim.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${sim.token}`, 'content-type': 'application/apply-patch+yaml' },
      body: JSON.stringify(body),
    });
    expect(res.status).toBeLessThan(300);
  };
  const deploy = (image: string) =>
    api('PATCH', '/apis/apps/v1/namespaces/shop/deployments/web?fieldManager=test', {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'shop' },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'web' } },
        template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image }] } },
      },
    });
  const pods = (image: string) => sim.objects('Pod', 'shop').filter((pod: any) => pod.spec.containers[0].image === image && pod.status.phase === 'Running');

  beforeAll(async () => {
    sim = await KubeSimulator.start({ podStartMs: 10 });
    network = new ServiceNetwork(sim);
    const res = await fetch(`${sim.url}/api/v1/namespaces`, {
      method: 'POST',
      headers: { authorization: `Bearer ${sim.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } }),
    });
    expect(res.status).toBe(201);
  });
  afterAll(async () => {
    await network.close();
    for (const server of upstreams) server.close();
    await sim.close();
  });

  it('sends a Service’s requests to the process playing the pods it selects, following a rollout', async () => {
    const v1 = await upstream('v1');
    upstreams.push(v1.server);
    network.play('registry.test/web:1', v1.url);
    let v2Started = 0;
    network.play('registry.test/web', async () => {
      v2Started++;
      const v2 = await upstream('v2');
      upstreams.push(v2.server);
      return { url: v2.url };
    });
    const address = await network.addressOf('shop', 'web');
    expect(address).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await fetch(`${address}/x`)).status).toBe(503);

    await api('PATCH', '/api/v1/namespaces/shop/services/web?fieldManager=test', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', namespace: 'shop' },
      spec: { selector: { app: 'web' }, ports: [{ port: 8080 }] },
    });
    await deploy('registry.test/web:1');
    await waitFor(() => pods('registry.test/web:1').length === 2, 5000, 'v1 pods');
    expect(await (await fetch(`${network.resolve('http://web.shop.svc:8080')}/quotes/A`)).json()).toEqual({ name: 'v1', path: '/quotes/A' });

    await deploy('registry.test/web:2');
    await waitFor(() => sim.objects('Pod', 'shop').every((pod: any) => pod.spec.containers[0].image === 'registry.test/web:2'), 5000, 'v2 only');
    await waitFor(() => pods('registry.test/web:2').length === 2, 5000, 'v2 pods ready');
    expect(await (await fetch(`${address}/b`)).json()).toEqual({ name: 'v2', path: '/b' });
    await fetch(`${address}/c`);
    expect(v2Started).toBe(1);
    const traffic = network.traffic('shop');
    expect(traffic.filter((entry) => entry.image === 'registry.test/web:1').reduce((n, entry) => n + entry.requests, 0)).toBe(1);
    expect(traffic.filter((entry) => entry.image === 'registry.test/web:2').reduce((n, entry) => n + entry.requests, 0)).toBe(2);
    expect(network.resolve('http://example.test/x')).toBe('http://example.test/x');
    expect(() => network.resolve('http://other.shop.svc')).toThrow(/addressOf/);
  });
});
