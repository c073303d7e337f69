import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(__dirname, '../../..');

interface Run {
  status: number;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((done) => {
    execFile(command, args, { cwd, env, encoding: 'utf8', timeout: 240_000 }, (error, stdout, stderr) =>
      done({ status: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/**
 * The CLI as a CI job gets it: `npm pack` of the built package, then `npx --package=<tarball>` from
 * an empty directory with only Node and npm: no checkout, no node_modules above it, no dist/.
 */
describe('@switchyard/cli, packed', () => {
  const work = mkdtempSync(join(tmpdir(), 'switchyard-cli-package-'));
  const out = join(work, 'package');
  const job = join(work, 'job');
  let tarball: string;
  // npm's own cache in the temp directory, so nothing from this machine's global state is used.
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: work,
    npm_config_cache: join(work, 'npm-cache'),
    npm_config_update_notifier: 'false',
    npm_config_fund: 'false',
    npm_config_audit: 'false',
    ...(process.env.NODE_EXTRA_CA_CERTS ? { NODE_EXTRA_CA_CERTS: process.env.NODE_EXTRA_CA_CERTS } : {}),
    CI: 'true',
  };

  beforeAll(() => {
    execFileSync(process.execPath, [join(root, 'apps/cli/scripts/build.mjs'), '--out', out], { stdio: 'pipe' });
    execFileSync('npm', ['pack', '--pack-destination', work], { cwd: out, stdio: 'pipe', env });
    tarball = join(
      work,
      readdirSync(work).find((name) => name.endsWith('.tgz'))!,
    );
    mkdirSync(job);
  }, 120_000);
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('depends on no server module: its dependencies are the three libraries it bundles around', () => {
    const pkg = JSON.parse(readFileSync(join(out, 'package.json'), 'utf8')) as {
      name: string;
      bin: Record<string, string>;
      dependencies: Record<string, string>;
    };
    expect(pkg.name).toBe('@switchyard/cli');
    expect(pkg.bin).toEqual({ switchyard: 'bin/switchyard.js' });
    expect(Object.keys(pkg.dependencies).sort()).toEqual(['ajv', 'yaml', 'zod']);
    const bundle = readFileSync(join(out, 'lib/switchyard.cjs'), 'utf8');
    expect(bundle).not.toMatch(/require\("(@nestjs|typeorm|@kubernetes|pg|ioredis|fastify)/);
    const kb = Math.round(readFileSync(tarball).length / 1024);
    process.stdout.write(`@switchyard/cli tarball: ${kb} KiB\n`);
  });

  it('npx --package=<tarball> switchyard runs from an empty directory: --help, validate on a sample switchyard.yml', async () => {
    const help = await run('npx', ['--yes', `--package=${tarball}`, 'switchyard', '--help'], job, env);
    expect(help.stderr).not.toMatch(/Cannot find module|ERR!/);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('usage: switchyard <command>');
    expect(help.stdout).toContain('switchyard release');

    writeFileSync(join(job, 'Containerfile'), 'FROM scratch\nCOPY hello.txt /hello.txt\n');
    writeFileSync(join(job, 'hello.txt'), 'hello\n');
    writeFileSync(
      join(job, 'switchyard.yml'),
      [
        'version: 1',
        'service: hello',
        'build: { context: ., containerfile: Containerfile }',
        'test: { command: "true", results: reports/junit.xml }',
        'publish: { repository: registry.example.com/team/hello }',
        '',
      ].join('\n'),
    );
    const valid = await run('npx', ['--yes', `--package=${tarball}`, 'switchyard', 'validate'], job, env);
    expect(valid.stderr).toBe('');
    expect(valid.status).toBe(0);
    expect(valid.stdout).toMatch(/hello/);

    // A broken file is reported with its line and field, and fails the job.
    writeFileSync(join(job, 'switchyard.yml'), 'version: 1\nservice: hello\nbuild: { context: . }\n');
    const invalid = await run('npx', ['--yes', `--package=${tarball}`, 'switchyard', 'validate'], job, env);
    expect(invalid.status).not.toBe(0);
    expect(invalid.stderr).toContain('switchyard.yml:1: test: is required');
  }, 300_000);
});
