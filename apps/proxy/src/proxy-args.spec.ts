import { parseProxyArgs, ProxyArgsError } from './proxy-args';

describe('parseProxyArgs', () => {
  it('reads both option spellings and fills defaults', () => {
    expect(parseProxyArgs(['--config', 'routes.yml', '--port=9090'])).toEqual({
      config: 'routes.yml',
      port: 9090,
      adminPort: 8081,
      host: '0.0.0.0',
      logLevel: 'info',
    });
    expect(parseProxyArgs(['--help'])).toEqual({ help: true });
    expect(parseProxyArgs(['--config', 'r.yml', '--max-event-loop-utilization', '0.75'])).toMatchObject({ maxEventLoopUtilization: 0.75 });
    expect(parseProxyArgs(['--config', 'r.yml', '--max-event-loop-utilization=1'])).toMatchObject({ maxEventLoopUtilization: 1 });
    expect(parseProxyArgs(['--server', 'http://127.0.0.1:3000', '--token', 'sy_x', '--environment', 'staging'])).toEqual({
      server: 'http://127.0.0.1:3000',
      token: 'sy_x',
      environment: 'staging',
      reportIntervalMs: 10000,
      port: 8080,
      adminPort: 8081,
      host: '0.0.0.0',
      logLevel: 'info',
    });
  });

  it.each([
    [[], /--config <routes.yml> is required/],
    [['--server', 'http://s'], /--server needs --token/],
    [['--server', 'ftp://s', '--token', 't'], /--server must be an http/],
    [['--server', 'http://s', '--config', 'r.yml', '--token', 't'], /either --config .* or --server/],
    [['--config', 'r.yml', '--token', 't'], /--token only applies with --server/],
    [['--config'], /--config needs a value/],
    [['--config', 'r.yml', '--port', 'x'], /--port must be a port number/],
    [['--config', 'r.yml', '--port', '1', '--admin-port', '1'], /must differ/],
    [['--config', 'r.yml', '--verbose', 'yes'], /unknown option --verbose/],
    [['--config', 'r.yml', '--log-level', 'loud'], /--log-level must be one of/],
    [['routes.yml'], /unexpected argument/],
    [['--config', 'r.yml', '--max-event-loop-utilization', '0'], /--max-event-loop-utilization must be a number above 0 and at most 1, got "0"/],
    [['--config', 'r.yml', '--max-event-loop-utilization', '1.5'], /--max-event-loop-utilization must be/],
    [['--config', 'r.yml', '--max-event-loop-utilization', 'high'], /--max-event-loop-utilization must be/],
  ])('rejects %j', (argv, message) => {
    expect(() => parseProxyArgs(argv)).toThrow(ProxyArgsError);
    expect(() => parseProxyArgs(argv)).toThrow(message);
  });
});
