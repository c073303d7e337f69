import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port';
import { waitForPort } from './redis-server';

/** One private redis-server (or redis-sentinel) process on loopback that a test may SIGKILL. */
class RedisProcess {
  private process?: ChildProcess;

  constructor(
    readonly port: number,
    private readonly args: string[],
  ) {}

  get running(): boolean {
    return this.process !== undefined;
  }

  async start(): Promise<void> {
    if (this.process) return;
    const child = spawn('redis-server', this.args, { stdio: 'ignore' });
    this.process = child;
    child.on('exit', () => {
      if (this.process === child) this.process = undefined;
    });
    await waitForPort(this.port, 10_000);
  }

  async kill(): Promise<void> {
    const child = this.process;
    if (!child) return;
    this.process = undefined;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }
}

function cli(port: number, ...args: string[]): string {
  const result = spawnSync('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`redis-cli ${args.join(' ')}: ${result.stderr || result.stdout}`);
  return result.stdout;
}

async function until(probe: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (probe()) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * A real Redis Cluster on loopback: `masters` masters (each with `replicasPerMaster` replicas),
 * created with `redis-cli --cluster create`. A short node timeout makes a killed master's replica
 * take over within about a second.
 */
export class PrivateRedisCluster {
  private constructor(
    private readonly dir: string,
    readonly nodes: RedisProcess[],
  ) {}

  static async start(masters = 3, replicasPerMaster = 0): Promise<PrivateRedisCluster> {
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-redis-cluster-'));
    const count = masters * (1 + replicasPerMaster);
    const nodes: RedisProcess[] = [];
    for (let i = 0; i < count; i++) {
      const port = await freePort();
      nodes.push(
        new RedisProcess(port, [
          '--port',
          String(port),
          '--bind',
          '127.0.0.1',
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          join(dir, `nodes-${port}.conf`),
          '--cluster-node-timeout',
          '1000',
          '--dir',
          dir,
          '--save',
          '',
          '--appendonly',
          'no',
        ]),
      );
    }
    const cluster = new PrivateRedisCluster(dir, nodes);
    await Promise.all(nodes.map((node) => node.start()));
    const addresses = nodes.map((node) => `127.0.0.1:${node.port}`);
    cli(nodes[0].port, '--cluster', 'create', ...addresses, '--cluster-replicas', String(replicasPerMaster), '--cluster-yes');
    await until(() => nodes.every((node) => cli(node.port, 'cluster', 'info').includes('cluster_state:ok')), 20_000, 'cluster_state:ok on every node');
    // A replica that has not attached and synced yet cannot take over: wait for every one of them.
    await until(
      () =>
        nodes.filter((node) => cli(node.port, 'role').startsWith('slave')).length === masters * replicasPerMaster &&
        nodes.every((node) => !cli(node.port, 'role').startsWith('slave') || cli(node.port, 'info', 'replication').includes('master_link_status:up')),
      20_000,
      'every replica to attach and sync',
    );
    return cluster;
  }

  /** `host:port,…` as REDIS_CLUSTER_NODES takes them. */
  get seedList(): string {
    return this.nodes.map((node) => `127.0.0.1:${node.port}`).join(',');
  }

  get seeds(): Array<{ host: string; port: number }> {
    return this.nodes.map((node) => ({ host: '127.0.0.1', port: node.port }));
  }

  /** The node currently serving `key`'s slot as master. */
  masterFor(key: string): RedisProcess {
    const alive = this.nodes.find((node) => node.running)!;
    const slot = Number(cli(alive.port, 'cluster', 'keyslot', key).trim());
    const slots = cli(alive.port, 'cluster', 'slots');
    // `cluster slots` (RESP rendered by redis-cli): start, end, then [ip, port, id] per node, master first.
    const lines = slots.split('\n').map((line) => line.trim());
    for (let i = 0; i + 3 < lines.length; i++) {
      const start = Number(lines[i]);
      const end = Number(lines[i + 1]);
      if (Number.isInteger(start) && Number.isInteger(end) && lines[i + 2] === '127.0.0.1' && slot >= start && slot <= end) {
        const port = Number(lines[i + 3]);
        const node = this.nodes.find((candidate) => candidate.port === port);
        if (node) return node;
      }
    }
    throw new Error(`no master found for slot ${slot}`);
  }

  /** Waits until the cluster serves every slot again (after a failover). */
  async healthy(timeoutMs = 20_000): Promise<void> {
    await until(
      () => this.nodes.filter((node) => node.running).every((node) => cli(node.port, 'cluster', 'info').includes('cluster_state:ok')),
      timeoutMs,
      'cluster_state:ok',
    );
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((node) => node.kill()));
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * Redis under Sentinel on loopback: one master, `replicas` replicas, three Sentinels (quorum 2)
 * watching it as `name`. Failover starts 1 s after the master stops answering.
 */
export class PrivateRedisSentinel {
  private constructor(
    private readonly dir: string,
    readonly name: string,
    readonly servers: RedisProcess[],
    readonly sentinels: RedisProcess[],
  ) {}

  static async start(name = 'switchyard', replicas = 1): Promise<PrivateRedisSentinel> {
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-redis-sentinel-'));
    const servers: RedisProcess[] = [];
    const masterPort = await freePort();
    for (let i = 0; i <= replicas; i++) {
      const port = i === 0 ? masterPort : await freePort();
      const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir];
      if (i > 0) args.push('--replicaof', '127.0.0.1', String(masterPort));
      servers.push(new RedisProcess(port, args));
    }
    const sentinels: RedisProcess[] = [];
    for (let i = 0; i < 3; i++) {
      const port = await freePort();
      const file = join(dir, `sentinel-${port}.conf`);
      // Sentinel rewrites its own config file (it records the current master there), so each has one.
      writeFileSync(
        file,
        [
          `port ${port}`,
          'bind 127.0.0.1',
          `dir ${dir}`,
          `sentinel monitor ${name} 127.0.0.1 ${masterPort} 2`,
          `sentinel down-after-milliseconds ${name} 1000`,
          `sentinel failover-timeout ${name} 5000`,
          `sentinel parallel-syncs ${name} 1`,
          '',
        ].join('\n'),
      );
      sentinels.push(new RedisProcess(port, [file, '--sentinel']));
    }
    const setup = new PrivateRedisSentinel(dir, name, servers, sentinels);
    for (const server of servers) await server.start();
    await until(() => cli(servers[0].port, 'info', 'replication').includes(`connected_slaves:${replicas}`), 10_000, 'replicas to attach');
    await Promise.all(sentinels.map((sentinel) => sentinel.start()));
    // Every Sentinel must know the replicas and the other Sentinels before a failover can be agreed.
    await until(
      () =>
        sentinels.every((sentinel) => {
          const info = cli(sentinel.port, 'sentinel', 'master', name);
          const field = (key: string) => {
            const lines = info.split('\n').map((line) => line.trim());
            return Number(lines[lines.indexOf(key) + 1]);
          };
          return field('num-slaves') === replicas && field('num-other-sentinels') === 2;
        }),
      20_000,
      'the Sentinels to discover each other and the replicas',
    );
    return setup;
  }

  /** `host:port,…` as REDIS_SENTINELS takes them. */
  get sentinelList(): string {
    return this.sentinels.map((sentinel) => `127.0.0.1:${sentinel.port}`).join(',');
  }

  get sentinelNodes(): Array<{ host: string; port: number }> {
    return this.sentinels.map((sentinel) => ({ host: '127.0.0.1', port: sentinel.port }));
  }

  /** The port Sentinel currently names as master. */
  masterPort(): number {
    const running = this.sentinels.find((sentinel) => sentinel.running)!;
    const answer = cli(running.port, 'sentinel', 'get-master-addr-by-name', this.name).trim().split('\n');
    return Number(answer[1]);
  }

  master(): RedisProcess {
    const port = this.masterPort();
    return this.servers.find((server) => server.port === port)!;
  }

  /** Waits until every Sentinel names a master other than `oldPort`, and that master answers as one. */
  async failedOverFrom(oldPort: number, timeoutMs = 30_000): Promise<number> {
    await until(
      () =>
        this.sentinels.every((sentinel) => Number(cli(sentinel.port, 'sentinel', 'get-master-addr-by-name', this.name).trim().split('\n')[1]) !== oldPort) &&
        cli(this.masterPort(), 'role').startsWith('master'),
      timeoutMs,
      'Sentinel to promote a replica',
    );
    return this.masterPort();
  }

  async stop(): Promise<void> {
    await Promise.all([...this.sentinels, ...this.servers].map((process) => process.kill()));
    rmSync(this.dir, { recursive: true, force: true });
  }
}
