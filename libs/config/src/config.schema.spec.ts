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

  it('treats empty strings as unset', () => {
    expect(loadConfig({ REDIS_URL: '', DATABASE_URL: '' }).redis.url).toBeUndefined();
  });
});
