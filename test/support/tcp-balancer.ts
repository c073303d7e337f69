import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

/**
 * A round-robin TCP balancer on loopback in front of server replicas, as a Kubernetes Service is:
 * each new connection goes to the next backend; a backend that refuses the connection is skipped
 * (the next one is tried), so clients of a dead replica land on the others when they reconnect.
 * When a backend dies, its connections are cut on both sides.
 */
export class TcpBalancer {
  private readonly links = new Map<number, Set<Socket>>();
  private next = 0;

  private constructor(
    private readonly server: Server,
    readonly backends: number[],
  ) {
    for (const port of backends) this.links.set(port, new Set());
  }

  static async start(backends: number[]): Promise<TcpBalancer> {
    const server = createServer();
    const balancer = new TcpBalancer(server, backends);
    server.on('connection', (client) => balancer.route(client, 0));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    return balancer;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Open client connections currently relayed to `port`. */
  connectionsTo(port: number): number {
    return this.links.get(port)?.size ?? 0;
  }

  private route(client: Socket, tried: number): void {
    if (tried >= this.backends.length) {
      client.destroy();
      return;
    }
    const port = this.backends[this.next % this.backends.length];
    this.next += 1;
    client.pause();
    const upstream = connect({ port, host: '127.0.0.1' });
    const onRefused = () => {
      upstream.destroy();
      this.route(client, tried + 1);
    };
    upstream.once('error', onRefused);
    upstream.once('connect', () => {
      upstream.off('error', onRefused);
      const set = this.links.get(port)!;
      set.add(client);
      const cut = () => {
        set.delete(client);
        client.destroy();
        upstream.destroy();
      };
      client.on('error', cut).on('close', cut);
      upstream.on('error', cut).on('close', cut);
      client.pipe(upstream);
      upstream.pipe(client);
      client.resume();
    });
  }

  async stop(): Promise<void> {
    for (const set of this.links.values()) for (const socket of set) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
