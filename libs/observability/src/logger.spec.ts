import { createLogger, defaultLogFormat, NestPinoLogger, prettyLine, writeThroughLog } from './logger';

function capture(format: 'json' | 'pretty', level = 'info') {
  const lines: string[] = [];
  const logger = createLogger(level, 'switchyard', format, { write: (line: string) => void lines.push(line) });
  return { logger, lines };
}

describe('logger', () => {
  it('is JSON unless a person is at a terminal outside production', () => {
    expect(defaultLogFormat(true, 'development')).toBe('pretty');
    expect(defaultLogFormat(true, undefined)).toBe('pretty');
    expect(defaultLogFormat(true, 'production')).toBe('json');
    expect(defaultLogFormat(false, 'development')).toBe('json');
    expect(defaultLogFormat(undefined, 'development')).toBe('json');
  });

  it('pretty: time, level, component, message and the other fields on one line; an error stack below', () => {
    const { logger, lines } = capture('pretty');
    logger.child({ component: 'reconciler' }).info({ environment: 'production', to: 3, note: 'two words' }, 'republished environment');
    logger.error({ err: new Error('boom') }, 'failed');
    expect(lines[0]).toMatch(/^\d\d:\d\d:\d\d INFO {2}\[reconciler\] republished environment {2}environment=production to=3 note="two words"\n$/);
    expect(lines[1]).toMatch(/^\d\d:\d\d:\d\d ERROR failed\n {4}Error: boom/);
  });

  it('json: one object a line, as before', () => {
    const { logger, lines } = capture('json');
    logger.info({ a: 1 }, 'hello');
    expect(JSON.parse(lines[0])).toMatchObject({ level: 30, name: 'switchyard', a: 1, msg: 'hello' });
  });

  it("puts Nest's per-module and per-route start-up lines at debug, its other lines at info", () => {
    const { logger, lines } = capture('json', 'debug');
    const nest = new NestPinoLogger(logger);
    nest.log('Mapped {/api/v1/flags, GET} route', 'RouterExplorer');
    nest.log('AppModule dependencies initialized', 'InstanceLoader');
    nest.log('something an operator should see', 'FlagsService');
    expect(lines.map((line) => (JSON.parse(line) as { level: number }).level)).toEqual([20, 20, 30]);
  });

  it('writes text through the log stream unchanged, after what was logged before it', () => {
    const { logger, lines } = capture('pretty');
    logger.info('ready');
    writeThroughLog(logger, '\nthe token\n');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toBe('\nthe token\n');
    expect(prettyLine('not json\n')).toBe('not json\n');
  });
});
