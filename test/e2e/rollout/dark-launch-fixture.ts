import type http from 'node:http';
import { createServer, Socket, type AddressInfo, type Server } from 'node:net';
import { createLogger } from '@switchyard/observability';
import { startConnectedProxy, type ConnectedProxy } from '../../../apps/proxy/src/connected-proxy';
import type { ServiceNetwork } from '../../support/kube-simulator/service-network';
import { inBatches, send } from '../mirror/fixture-services';
import { pipelineFor } from './rollout-fixture';

export const ROUTE = 'quotes';

/** The pipeline of rollout-fixture with a dark launch in production. */
export function darkLaunchPipeline(service: string, darkLaunch: Record<string, unknown>): Record<string, unknown> {
  const pipeline = pipelineFor(service) as { deploy: { environments: Array<Record<string, unknown>> } };
  pipeline.deploy.environments[1] = { ...pipeline.deploy.environments[1], darkLaunch: { route: ROUTE, ...darkLaunch } };
  return pipeline;
}

/**
 * A connected proxy (the real one, in process) for production: it learns routes and the sampling
 * flag from the server and reaches `<svc>.<ns>.svc` through the simulator's service network.
 */
export async function startProductionProxy(serverUrl: string, token: string, network: ServiceNetwork): Promise<ConnectedProxy> {
  return startConnectedProxy({
    maxEventLoopUtilization: 1,
    server: serverUrl,
    token,
    environment: 'production',
    port: 0,
    adminPort: 0,
    host: '127.0.0.1',
    reportIntervalMs: 250,
    logger: createLogger(process.env.TEST_LOG_LEVEL ?? 'silent', 'switchyard-proxy'),
    resolveUpstream: (url) => network.resolve(url),
  });
}

/**
 * Users calling the service through the proxy (Host: the Service's cluster name), 40 at a time,
 * until `done` holds or `max` requests were sent: bounded, loopback only. Returns how many were sent.
 */
export async function userTraffic(proxy: ConnectedProxy, host: string, done: () => Promise<boolean>, max: number, agent: http.Agent): Promise<number> {
  let sent = 0;
  while (sent < max) {
    const from = sent;
    await inBatches(40, 8, async (i) => {
      const n = from + i;
      const res = await send(`${proxy.url}/quotes/S${n % 25}`, { headers: { host, 'x-user-id': `user-${n % 400}` }, agent });
      if (res.status !== 200) throw new Error(`user request ${n} got ${res.status}: ${res.body.toString().slice(0, 200)}`);
    });
    sent += 40;
    if (await done()) return sent;
  }
  return sent;
}

/**
 * A fixed loopback address in front of whichever server is current, so a proxy configured with it
 * keeps working across a server restart (it reconnects as it would to a restarted Service).
 */
export class FrontDoor {
  private target = 0;
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<FrontDoor> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const door = new FrontDoor(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    server.on('connection', (socket) => door.accept(socket));
    return door;
  }

  /** Sends new connections to `url` and cuts the open ones (as a restart does). */
  point(url: string): void {
    this.target = Number(new URL(url).port);
    for (const socket of this.sockets) socket.destroy();
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => undefined);
    if (!this.target) return void socket.destroy();
    const upstream = new Socket();
    upstream.on('error', () => socket.destroy());
    socket.on('close', () => upstream.destroy());
    upstream.on('close', () => socket.destroy());
    upstream.connect(this.target, '127.0.0.1', () => {
      socket.pipe(upstream);
      upstream.pipe(socket);
    });
  }
}
