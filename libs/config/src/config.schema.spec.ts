import { ConfigError, loadConfig } from './config.schema';

describe('loadConfig', () => {
  it('applies defaults for an empty environment', () => {
    const config = loadConfig({});
    expect(config.port).toBe(4000);
    expect(config.database.url).toBeUndefined();
    expect(config.database.dataDir).toBe('./.switchyard');
    expect(config.redis.url).toBeUndefined();
    expect(config.reconcileIntervalMs).toBe(10_000);
    expect(config.staleAfterMs).toBe(30 * 86_400_000);
    expect(config.releaseAbandonAfterMs).toBe(10 * 60_000);
  });

  it('names every bad variable and why', () => {
    let error: unknown;
    try {
      loadConfig({ PORT: 'abc', REDIS_URL: 'nonsense', DATABASE_URL: 'mysql://x', LOG_LEVEL: 'loud', RECONCILE_INTERVAL: 'soon' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const variables = (error as ConfigError).problems.map((p) => p.variable).sort();
    expect(variables).toEqual(['DATABASE_URL', 'LOG_LEVEL', 'PORT', 'RECONCILE_INTERVAL', 'REDIS_URL']);
    expect((error as ConfigError).message).toContain('PORT must be an integer from 0 to 65535 (got "abc")');
  });

  it('never echoes the value of a URL or secret variable', () => {
    const secret = 'hunter2-very-secret';
    let error: unknown;
    try {
      loadConfig({
        DATABASE_URL: `mysql://admin:${secret}@db:3306/x`,
        REDIS_URL: `http://:${secret}@cache`,
        PROMETHEUS_URL: `ftp://u:${secret}@prom`,
        WEBHOOK_URLS: `https://ok.example/hook,slack://u:${secret}@x`,
        SWITCHYARD_ADMIN_TOKEN: secret,
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems.map((p) => p.variable).sort()).toEqual(['DATABASE_URL', 'PROMETHEUS_URL', 'REDIS_URL', 'SWITCHYARD_ADMIN_TOKEN', 'WEBHOOK_URLS']);
    expect((error as ConfigError).message).not.toContain(secret);
  });

  it('trusts no proxy by default, and a list of addresses and CIDRs when set', () => {
    expect(loadConfig({}).trustProxy).toEqual([]);
    expect(loadConfig({ TRUST_PROXY: '127.0.0.1, 10.0.0.0/8,::1,fd00::/8,loopback' }).trustProxy).toEqual([
      '127.0.0.1',
      '10.0.0.0/8',
      '::1',
      'fd00::/8',
      'loopback',
    ]);
    for (const bad of ['true', '*', '10.0.0.0/33', '10.0.0.1/8/8', 'proxy.example.com']) {
      expect(() => loadConfig({ TRUST_PROXY: bad })).toThrow(/TRUST_PROXY must be comma-separated proxy addresses or CIDRs/);
    }
  });

  it('leaves /metrics open unless METRICS_TOKEN is set, and caps flag series', () => {
    expect(loadConfig({}).metrics).toEqual({ token: undefined, maxFlagSeries: 10_000 });
    expect(loadConfig({ METRICS_TOKEN: 'scrape-0123456789abcdef', METRICS_MAX_FLAG_SERIES: '50' }).metrics).toEqual({
      token: 'scrape-0123456789abcdef',
      maxFlagSeries: 50,
    });
    expect(() => loadConfig({ METRICS_TOKEN: 'short' })).toThrow(/METRICS_TOKEN must be at least 16 characters/);
    expect(() => loadConfig({ METRICS_MAX_FLAG_SERIES: '0' })).toThrow(/METRICS_MAX_FLAG_SERIES must be an integer from 1/);
  });

  it('reads the mirror egress policy: unset guards loopback and metadata, a list allows only what it names', () => {
    expect(loadConfig({}).mirrorTargets.refusal('http://169.254.169.254/')).toMatch(/metadata/);
    expect(loadConfig({}).mirrorTargets.refusal('http://10.0.0.1/')).toBeUndefined();
    const listed = loadConfig({ MIRROR_ALLOWED_TARGETS: '127.0.0.1, 10.0.0.0/8' }).mirrorTargets;
    expect(listed.refusal('http://127.0.0.1:9/')).toBeUndefined();
    expect(listed.refusal('http://192.168.0.1/')).toMatch(/not in MIRROR_ALLOWED_TARGETS/);
    expect(() => loadConfig({ MIRROR_ALLOWED_TARGETS: '10.0.0.0/99' })).toThrow(/MIRROR_ALLOWED_TARGETS must be comma-separated hosts/);
  });

  it('reads where replayable captures live: an absolute CAPTURE_ROOT (unset: no replays) and the concurrency of one replay', () => {
    expect(loadConfig({}).captures).toEqual({ root: undefined, replayConcurrency: 16 });
    expect(loadConfig({ CAPTURE_ROOT: '/var/lib/switchyard/captures', REPLAY_CONCURRENCY: '4' }).captures).toEqual({
      root: '/var/lib/switchyard/captures',
      replayConcurrency: 4,
    });
    expect(() => loadConfig({ CAPTURE_ROOT: 'captures' })).toThrow(/CAPTURE_ROOT must be an absolute path/);
    expect(() => loadConfig({ REPLAY_CONCURRENCY: '0' })).toThrow(/REPLAY_CONCURRENCY must be an integer from 1 to 1024/);
  });

  it('treats empty strings as unset', () => {
    expect(loadConfig({ REDIS_URL: '', DATABASE_URL: '' }).redis.url).toBeUndefined();
  });
});

describe('loadConfig: Redis topology and database timeouts', () => {
  const problemsOf = (env: Record<string, string>) => {
    try {
      loadConfig(env);
    } catch (error) {
      return (error as ConfigError).problems;
    }
    return [];
  };

  it('reads Sentinel and Cluster settings', () => {
    const sentinel = loadConfig({ REDIS_SENTINELS: 'redis-0:26379, [::1]:26380', REDIS_SENTINEL_NAME: 'switchyard' }).redis;
    expect(sentinel).toMatchObject({ mode: 'sentinel', enabled: true, sentinelName: 'switchyard' });
    expect(sentinel.sentinels).toEqual([
      { host: 'redis-0', port: 26379 },
      { host: '::1', port: 26380 },
    ]);
    const cluster = loadConfig({ REDIS_CLUSTER_NODES: '10.0.0.1:6379,10.0.0.2:6379' }).redis;
    expect(cluster).toMatchObject({
      mode: 'cluster',
      enabled: true,
      clusterNodes: [
        { host: '10.0.0.1', port: 6379 },
        { host: '10.0.0.2', port: 6379 },
      ],
    });
    expect(loadConfig({ REDIS_URL: 'redis://r:6379' }).redis).toMatchObject({ mode: 'standalone', enabled: true });
    expect(loadConfig({}).redis).toMatchObject({ mode: 'none', enabled: false });
  });

  it('refuses a topology that cannot work, naming the variable', () => {
    expect(problemsOf({ REDIS_SENTINELS: 'redis-0:26379' })).toEqual([
      { variable: 'REDIS_SENTINEL_NAME', problem: expect.stringContaining('is required with REDIS_SENTINELS') },
    ]);
    expect(problemsOf({ REDIS_SENTINEL_NAME: 'x' })).toEqual([{ variable: 'REDIS_SENTINELS', problem: expect.stringContaining('is required') }]);
    expect(problemsOf({ REDIS_SENTINELS: 'a:1', REDIS_SENTINEL_NAME: 'x', REDIS_CLUSTER_NODES: 'b:2' }).map((p) => p.variable)).toEqual([
      'REDIS_CLUSTER_NODES',
    ]);
    expect(problemsOf({ REDIS_CLUSTER_NODES: 'redis-0' })).toEqual([{ variable: 'REDIS_CLUSTER_NODES', problem: expect.stringContaining('host:port') }]);
    expect(problemsOf({ REDIS_CLUSTER_NODES: 'redis-0:70000' }).map((p) => p.variable)).toEqual(['REDIS_CLUSTER_NODES']);
  });

  it('bounds database waits (default 5 s) and stale token verdicts (default 15 min)', () => {
    const defaults = loadConfig({});
    expect(defaults.database).toMatchObject({ statementTimeoutMs: 5000, acquireTimeoutMs: 5000 });
    expect(defaults.tokenCacheMaxStaleMs).toBe(15 * 60_000);
    const set = loadConfig({ DATABASE_STATEMENT_TIMEOUT: '2s', DATABASE_ACQUIRE_TIMEOUT: '750ms', TOKEN_CACHE_MAX_STALE: '1h' });
    expect(set.database).toMatchObject({ statementTimeoutMs: 2000, acquireTimeoutMs: 750 });
    expect(set.tokenCacheMaxStaleMs).toBe(3_600_000);
    expect(problemsOf({ DATABASE_STATEMENT_TIMEOUT: 'forever' }).map((p) => p.variable)).toEqual(['DATABASE_STATEMENT_TIMEOUT']);
  });
});
