import { parseProxyArgs, ProxyArgsError } from './proxy-args';

describe('parseProxyArgs', () => {
  it('reads both option spellings and fills defaults', () => {
    expect(parseProxyArgs(['--config', 'routes.yml', '--port=9090'])).toEqual({ config: 'routes.yml', port: 9090, adminPort: 8081, host: '0.0.0.0', logLevel: 'info' });
    expect(parseProxyArgs(['--help'])).toEqual({ help: true });
  });

  it.each([
    [[], /--config <routes.yml> is required/],
    [['--config'], /--config needs a value/],
    [['--config', 'r.yml', '--port', 'x'], /--port must be a port number/],
    [['--config', 'r.yml', '--port', '1', '--admin-port', '1'], /must differ/],
    [['--config', 'r.yml', '--verbose', 'yes'], /unknown option --verbose/],
    [['--config', 'r.yml', '--log-level', 'loud'], /--log-level must be one of/],
    [['--server', 'http://s', '--token', 't'], /connected mode/],
    [['routes.yml'], /unexpected argument/],
  ])('rejects %j', (argv, message) => {
    expect(() => parseProxyArgs(argv)).toThrow(ProxyArgsError);
    expect(() => parseProxyArgs(argv)).toThrow(message);
  });
});
