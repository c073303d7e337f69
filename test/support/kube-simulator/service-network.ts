import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { JsonObject } from './field-ownership';
import type { KubeSimulator } from './kube-simulator';

/** Something that plays an image: an upstream already listening, or one started on first use. */
export type ImagePlayer = string | (() => Promise<{ url: string; close?(): Promise<void> }>);

/** Requests one Service delivered to one pod, and the image that pod ran. */
export interface ServiceTraffic {
  namespace: string;
  service: string;
  pod: string;
  image: string;
  requests: number;
}

interface Playing {
  url: Promise<string>;
  close?: () => Promise<void>;
}

const obj = (value: unknown): JsonObject => (typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as JsonObject) : {});

/**
 * The data plane the simulator does not have: it runs no containers, so a test says which local
 * process plays which image (`play`), and each Service gets a loopback address (`addressOf`) that
 * sends every request to a ready pod the Service selects *at that moment* — through the process
 * playing that pod's image. A rollout that changes the pods changes where the Service's traffic
 * goes, and `traffic()` records which pod (and image) every request reached through which Service.
 *
 * Code under test reaches Services by their cluster names (`http://quotes.quotes.svc:8080`);
 * `resolve` maps such a URL to the Service's loopback address, for the proxy's `resolveUpstream`.
 */
export class ServiceNetwork {
  private readonly players = new Map<string, ImagePlayer>();
  private readonly playing = new Map<string, Playing>();
  private readonly forwarders = new Map<string, { server: http.Server; url: string }>();
  private readonly counts = new Map<string, ServiceTraffic>();
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  private turn = 0;

  constructor(private readonly simulator: KubeSimulator) {}

  /** Pods running `image` (exact, or any tag/digest of a repository given without one) are played by `player`. */
  play(image: string, player: ImagePlayer): void {
    this.players.set(image, player);
  }

  /** The Service's address: `http://127.0.0.1:<port>`, stable for the test's life; requests go to the pods it selects when they arrive. */
  async addressOf(namespace: string, service: string): Promise<string> {
    const key = `${namespace}/${service}`;
    const existing = this.forwarders.get(key);
    if (existing) return existing.url;
    const server = http.createServer((request, response) => this.forward(namespace, service, request, response));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    this.forwarders.set(key, { server, url });
    return url;
  }

  /**
   * `http://<service>.<namespace>.svc[.cluster.local][:port]/path` → the Service's loopback address
   * with the same path; other URLs unchanged. Synchronous (the proxy resolves as it builds a
   * route), so the Service's address must have been asked for with `addressOf` first.
   */
  resolve(url: string): string {
    const parsed = new URL(url);
    const match = /^([a-z0-9-]+)\.([a-z0-9-]+)\.svc(?:\.cluster\.local)?$/.exec(parsed.hostname);
    if (!match) return url;
    const forwarder = this.forwarders.get(`${match[2]}/${match[1]}`);
    if (!forwarder) throw new Error(`no address for Service ${match[2]}/${match[1]} yet: await network.addressOf('${match[2]}', '${match[1]}') first`);
    const path = parsed.pathname === '/' && !parsed.search ? '' : `${parsed.pathname}${parsed.search}`;
    return `${forwarder.url}${path}`;
  }

  /** Every (Service, pod) pair that carried traffic, with its count. */
  traffic(namespace?: string): ServiceTraffic[] {
    return [...this.counts.values()].filter((entry) => namespace === undefined || entry.namespace === namespace).map((entry) => ({ ...entry }));
  }

  async close(): Promise<void> {
    for (const { server } of this.forwarders.values()) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    this.forwarders.clear();
    this.agent.destroy();
    for (const playing of this.playing.values()) await playing.close?.();
    this.playing.clear();
  }

  private forward(namespace: string, service: string, request: IncomingMessage, response: ServerResponse): void {
    const refuse = (status: number, error: string) => {
      request.resume();
      const text = JSON.stringify({ error });
      response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text);
    };
    const svc = this.simulator.object('Service', namespace, service);
    if (!svc) return refuse(503, `service ${namespace}/${service} does not exist`);
    const selector = obj(obj(svc.spec).selector) as Record<string, string>;
    const pods = Object.keys(selector).length === 0 ? [] : this.simulator.objects('Pod', namespace).filter((pod) => selects(selector, pod) && ready(pod));
    if (pods.length === 0) return refuse(503, `service ${namespace}/${service} has no ready endpoints`);
    const pod = pods[this.turn++ % pods.length];
    const image = imagesOf(pod).find((candidate) => this.playerOf(candidate) !== undefined);
    if (!image) return refuse(502, `no process plays the images of pod ${String(obj(pod.metadata).name)} (${imagesOf(pod).join(', ')})`);
    const podName = String(obj(pod.metadata).name);
    const key = `${namespace}/${service}/${podName}`;
    const entry = this.counts.get(key) ?? { namespace, service, pod: podName, image, requests: 0 };
    entry.requests++;
    this.counts.set(key, entry);
    this.start(image).then(
      (target) => {
        const upstream = http.request(
          new URL(request.url ?? '/', target),
          { method: request.method, headers: request.headers, agent: this.agent },
          (answer) => {
            response.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(response);
          },
        );
        upstream.on('error', () => (response.headersSent ? response.destroy() : refuse(502, `the process playing ${image} did not answer`)));
        request.pipe(upstream);
      },
      (error: unknown) => refuse(502, `the process playing ${image} did not start: ${error instanceof Error ? error.message : String(error)}`),
    );
  }

  private playerOf(image: string): ImagePlayer | undefined {
    return this.players.get(image) ?? this.players.get(image.replace(/@.*$/, '').replace(/:[^/:]*$/, ''));
  }

  private start(image: string): Promise<string> {
    let playing = this.playing.get(image);
    if (!playing) {
      const player = this.playerOf(image) as ImagePlayer;
      if (typeof player === 'string') playing = { url: Promise.resolve(player) };
      else {
        const started = player();
        const entry: Playing = { url: started.then((p) => p.url) };
        void started.then(
          (p) => (entry.close = p.close),
          () => undefined,
        );
        playing = entry;
      }
      this.playing.set(image, playing);
    }
    return playing.url;
  }
}

function selects(selector: Record<string, string>, pod: JsonObject): boolean {
  const labels = obj(obj(pod.metadata).labels);
  return Object.entries(selector).every(([key, value]) => labels[key] === value);
}

function ready(pod: JsonObject): boolean {
  const conditions = (obj(pod.status).conditions as JsonObject[] | undefined) ?? [];
  return conditions.some((condition) => condition.type === 'Ready' && condition.status === 'True');
}

function imagesOf(pod: JsonObject): string[] {
  return ((obj(pod.spec).containers as JsonObject[] | undefined) ?? []).map((container) => String(container.image));
}
