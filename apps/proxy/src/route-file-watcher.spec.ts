import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MirrorRoute } from '@switchyard/mirror';
import { createLogger } from '@switchyard/observability';
import { Registry } from 'prom-client';
import { RouteFileWatcher } from './route-file-watcher';

function routeFile(...names: string[]): string {
  return names
    .map(
      (name) =>
        `- name: ${name}\n  match: { pathPrefix: /${name} }\n  primary: http://127.0.0.1:1\n  candidate: http://127.0.0.1:2\n  sample: { percent: 10 }\n`,
    )
    .join('');
}

/** Polls `probe` until it holds, failing after a deadline (file events arrive asynchronously). */
async function until<T>(probe: () => T | undefined | false, what: string, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('RouteFileWatcher', () => {
  const dirs: string[] = [];
  const watchers: RouteFileWatcher[] = [];
  let applied: string[][];
  let registry: Registry;

  function start(file: string): RouteFileWatcher {
    const watcher = new RouteFileWatcher(file, { logger: createLogger(process.env.TEST_LOG_LEVEL ?? 'silent'), debounceMs: 20 });
    watchers.push(watcher);
    return watcher;
  }

  async function watched(file: string): Promise<RouteFileWatcher> {
    const watcher = start(file);
    await watcher.load();
    await watcher.watch((routes: MirrorRoute[]) => applied.push(routes.map((route) => route.name)), registry);
    return watcher;
  }

  function tempDir(): string {
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-watch-'));
    dirs.push(dir);
    return dir;
  }

  const lastApplied = () => applied.at(-1)?.join(',');
  const metric = async (name: string) => Number((await registry.metrics()).match(new RegExp(`^${name.replace(/[{}"]/g, '\\$&')} (\\S+)$`, 'm'))?.[1]);

  beforeEach(() => {
    applied = [];
    registry = new Registry();
  });

  afterEach(() => {
    for (const watcher of watchers.splice(0)) watcher.close();
  });

  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('applies an edit written in place', async () => {
    const file = join(tempDir(), 'routes.yml');
    writeFileSync(file, routeFile('quotes'));
    const watcher = await watched(file);
    writeFileSync(file, routeFile('quotes', 'news'));
    await until(() => lastApplied() === 'quotes,news', 'the edit to be applied');
    expect(watcher.status()).toMatchObject({ file, lastReload: { trigger: 'watch', result: 'success' } });
    expect(await metric('switchyard_proxy_config_reloads_total{result="success"}')).toBe(1);
    expect(await metric('switchyard_proxy_config_last_reload_successful')).toBe(1);
  });

  it('applies a file replaced by rename, as editors save', async () => {
    const dir = tempDir();
    const file = join(dir, 'routes.yml');
    writeFileSync(file, routeFile('quotes'));
    await watched(file);
    writeFileSync(join(dir, '.routes.yml.swp'), routeFile('sports'));
    renameSync(join(dir, '.routes.yml.swp'), file);
    await until(() => lastApplied() === 'sports', 'the renamed file to be applied');
  });

  it('follows a Kubernetes ConfigMap volume, whose update swaps the ..data symlink', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, '..2026_11_26_12_00_00.1'));
    writeFileSync(join(dir, '..2026_11_26_12_00_00.1', 'routes.yml'), routeFile('quotes'));
    symlinkSync('..2026_11_26_12_00_00.1', join(dir, '..data'));
    symlinkSync('..data/routes.yml', join(dir, 'routes.yml'));
    await watched(join(dir, 'routes.yml'));

    // What the kubelet's atomic writer does: a new revision directory, a new link, renamed over the old one.
    mkdirSync(join(dir, '..2026_11_26_12_05_00.2'));
    writeFileSync(join(dir, '..2026_11_26_12_05_00.2', 'routes.yml'), routeFile('quotes', 'news'));
    symlinkSync('..2026_11_26_12_05_00.2', join(dir, '..data_tmp'));
    renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
    rmSync(join(dir, '..2026_11_26_12_00_00.1'), { recursive: true });
    await until(() => lastApplied() === 'quotes,news', 'the new ConfigMap revision to be applied');
  });

  it('follows edits of a symlinked file in another directory', async () => {
    const [links, targets] = [tempDir(), tempDir()];
    writeFileSync(join(targets, 'quotes.yml'), routeFile('quotes'));
    symlinkSync(join(targets, 'quotes.yml'), join(links, 'routes.yml'));
    await watched(join(links, 'routes.yml'));
    writeFileSync(join(targets, 'quotes.yml'), routeFile('quotes', 'news'));
    await until(() => lastApplied() === 'quotes,news', 'the edit of the link target to be applied');
  });

  it('keeps the routes in effect on a bad edit, naming file, line and field, and applies the fix', async () => {
    const file = join(tempDir(), 'routes.yml');
    writeFileSync(file, routeFile('quotes'));
    const watcher = await watched(file);
    writeFileSync(file, `${routeFile('quotes')}  timeoutMs: soon\n`);
    const failed = await until(() => watcher.status().lastReload?.result === 'failure' && watcher.status(), 'the bad edit to be rejected');
    expect(failed.lastReload?.problems).toEqual([
      { file, line: 6, column: 3, field: 'routes[0].timeoutMs', problem: expect.stringContaining('expected number') },
    ]);
    expect(applied).toEqual([]);
    expect(await metric('switchyard_proxy_config_last_reload_successful')).toBe(0);
    expect(await metric('switchyard_proxy_config_reloads_total{result="failure"}')).toBe(1);

    writeFileSync(file, routeFile('quotes', 'news'));
    await until(() => lastApplied() === 'quotes,news', 'the fixed file to be applied');
    expect(watcher.status().lastReload).toEqual({ at: expect.any(String), trigger: 'watch', result: 'success' });
    expect(await metric('switchyard_proxy_config_last_reload_successful')).toBe(1);
  });

  it('reports a file that disappeared, and applies it once it is back', async () => {
    const dir = tempDir();
    const file = join(dir, 'routes.yml');
    writeFileSync(file, routeFile('quotes'));
    const watcher = await watched(file);
    rmSync(file);
    await until(() => watcher.status().lastReload?.problems?.[0]?.field === '(file)', 'the missing file to be reported');
    writeFileSync(file, routeFile('quotes'));
    await until(() => lastApplied() === 'quotes', 'the file to be applied again');
    expect(watcher.status().lastReload?.result).toBe('success');
  });

  it('re-reads on request (SIGHUP) even when nothing changed', async () => {
    const file = join(tempDir(), 'routes.yml');
    writeFileSync(file, routeFile('quotes'));
    const watcher = await watched(file);
    await watcher.reload('signal');
    expect(applied).toEqual([['quotes']]);
    expect(watcher.status().lastReload).toMatchObject({ trigger: 'signal', result: 'success' });
    expect(await metric('switchyard_proxy_config_reloads_total{result="success"}')).toBe(1);
  });

  it('throws a RouteFileError at load for a bad file', async () => {
    const file = join(tempDir(), 'routes.yml');
    writeFileSync(file, '- name: quotes\n  sample: { percent: 250 }\n');
    await expect(start(file).load()).rejects.toThrow(`${file}:1:3: routes[0].primary`);
  });
});
