import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultWorkers, parseProxyArgs, ProxyArgsError } from './proxy-args';

describe('parseProxyArgs', () => {
  it('reads both option spellings and fills defaults', () => {
    expect(parseProxyArgs(['--config', 'routes.yml', '--port=9090'])).toEqual({
      config: 'routes.yml',
      port: 9090,
      adminPort: 8081,
      host: '0.0.0.0',
      adminHost: '127.0.0.1',
      logLevel: 'info',
      workers: defaultWorkers(),
    });
    expect(parseProxyArgs(['--help'])).toEqual({ help: true });
    expect(parseProxyArgs(['--config', 'r.yml', '--max-event-loop-utilization', '0.75'])).toMatchObject({ maxEventLoopUtilization: 0.75 });
    expect(parseProxyArgs(['--config', 'r.yml', '--max-event-loop-utilization=1'])).toMatchObject({ maxEventLoopUtilization: 1 });
    expect(parseProxyArgs(['--config', 'r.yml', '--tls-cert', 'c.pem', '--tls-key', 'k.pem'])).toMatchObject({ tlsCert: 'c.pem', tlsKey: 'k.pem' });
    // Connected mode takes the same TLS and recording flags.
    expect(
      parseProxyArgs(['--server', 'http://s', '--token', 't', '--tls-cert', 'c.pem', '--tls-key', 'k.pem', '--record', 'cap', '--record-sample', '5']),
    ).toMatchObject({
      server: 'http://s',
      tlsCert: 'c.pem',
      tlsKey: 'k.pem',
      record: { dir: 'cap', sample: 5 },
    });
    expect(parseProxyArgs(['--server', 'http://127.0.0.1:3000', '--token', 'sy_x', '--environment', 'staging'])).toEqual({
      server: 'http://127.0.0.1:3000',
      token: 'sy_x',
      environment: 'staging',
      reportIntervalMs: 10000,
      port: 8080,
      adminPort: 8081,
      host: '0.0.0.0',
      adminHost: '127.0.0.1',
      logLevel: 'info',
      workers: defaultWorkers(),
    });
  });

  it.each([
    [[], /--config <routes.yml> is required/],
    [['--server', 'http://s'], /--server needs a token: --token-file F or SWITCHYARD_TOKEN/],
    [['--server', 'http://s', '--token', 't', '--token-file', 'f'], /either --token or --token-file/],
    [['--server', 'http://s', '--token-file', '/nonexistent/token'], /--token-file: cannot read \/nonexistent\/token \(ENOENT\)/],
    [['--config', 'r.yml', '--token-file', 'f'], /--token-file only applies with --server/],
    [['--server', 'ftp://s', '--token', 't'], /--server must be an http/],
    [['--server', 'http://s', '--config', 'r.yml', '--token', 't'], /either --config .* or --server/],
    [['--config', 'r.yml', '--token', 't'], /--token only applies with --server/],
    [['--config'], /--config needs a value/],
    [['--config', 'r.yml', '--port', 'x'], /--port must be a port number/],
    [['--config', 'r.yml', '--port', '1', '--admin-port', '1'], /must differ/],
    [['--config', 'r.yml', '--verbose', 'yes'], /unknown option --verbose/],
    [['--config', 'r.yml', '--log-level', 'loud'], /--log-level must be one of/],
    [['routes.yml'], /unexpected argument/],
    [['--config', 'r.yml', '--tls-cert', 'c.pem'], /--tls-cert and --tls-key go together/],
    [['--config', 'r.yml', '--tls-cert', 'c.pem', '--tls-key', 'k.pem', '--token', 't'], /--token only applies with --server/],
    [['--config', 'r.yml', '--max-event-loop-utilization', '0'], /--max-event-loop-utilization must be a number above 0 and at most 1, got "0"/],
    [['--config', 'r.yml', '--max-event-loop-utilization', '1.5'], /--max-event-loop-utilization must be/],
    [['--config', 'r.yml', '--max-event-loop-utilization', 'high'], /--max-event-loop-utilization must be/],
    [['--config', 'r.yml', '--workers', '0'], /--workers must be a whole number from 1 to 64, got "0"/],
    [['--config', 'r.yml', '--workers', '65'], /--workers must be a whole number from 1 to 64, got "65"/],
    [['--config', 'r.yml', '--workers', '1.5'], /--workers must be a whole number from 1 to 64/],
    [['--config', 'r.yml', '--workers', 'all'], /--workers must be a whole number from 1 to 64/],
  ])('rejects %j', (argv, message) => {
    expect(() => parseProxyArgs(argv)).toThrow(ProxyArgsError);
    expect(() => parseProxyArgs(argv)).toThrow(message);
  });
});

describe('parseProxyArgs: --workers', () => {
  it('defaults to the cores the process may use, within 1..64, and takes an explicit count in either mode', () => {
    expect(defaultWorkers()).toBeGreaterThanOrEqual(1);
    expect(defaultWorkers()).toBeLessThanOrEqual(64);
    expect(parseProxyArgs(['--config', 'r.yml', '--workers', '1'])).toMatchObject({ workers: 1 });
    expect(parseProxyArgs(['--config', 'r.yml', '--workers=64'])).toMatchObject({ workers: 64 });
    expect(parseProxyArgs(['--server', 'http://s', '--token', 't', '--workers', '3'])).toMatchObject({ workers: 3 });
  });
});

describe('parseProxyArgs: secrets off the command line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'proxy-args-'));
  const file = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  it('takes the server token from SWITCHYARD_TOKEN or --token-file (first line), the file winning', () => {
    const connected = ['--server', 'http://127.0.0.1:3000'];
    expect(parseProxyArgs(connected, { SWITCHYARD_TOKEN: 'sy_from_env' })).toMatchObject({ token: 'sy_from_env' });
    const tokenFile = file('token', 'sy_from_file\n');
    expect(parseProxyArgs([...connected, '--token-file', tokenFile], { SWITCHYARD_TOKEN: 'sy_from_env' })).toMatchObject({ token: 'sy_from_file' });
    expect(() => parseProxyArgs([...connected, '--token-file', file('empty', '\n')])).toThrow(/is empty/);
  });

  it('binds the admin port to loopback unless asked, with an optional bearer token from the environment or a file', () => {
    expect(parseProxyArgs(['--config', 'r.yml'])).not.toHaveProperty('adminToken');
    expect(parseProxyArgs(['--config', 'r.yml', '--admin-host', '0.0.0.0'])).toMatchObject({ adminHost: '0.0.0.0' });
    expect(parseProxyArgs(['--config', 'r.yml'], { SWITCHYARD_PROXY_ADMIN_TOKEN: 'admin-0123456789abcdef' })).toMatchObject({
      adminToken: 'admin-0123456789abcdef',
    });
    const adminFile = file('admin', 'admin-from-file-0123456789\n');
    expect(parseProxyArgs(['--config', 'r.yml', '--admin-token-file', adminFile])).toMatchObject({ adminToken: 'admin-from-file-0123456789' });
    expect(() => parseProxyArgs(['--config', 'r.yml'], { SWITCHYARD_PROXY_ADMIN_TOKEN: 'short' })).toThrow(/at least 16 characters/);
  });
});
