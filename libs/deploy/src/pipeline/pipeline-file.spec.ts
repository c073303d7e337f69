import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPipelineFile, parsePipelineText } from './pipeline-file';
import { checkPipelineSchema } from './pipeline-schema';
import { PipelineFileError } from './pipeline-spec';

const VALID = `service: market-data
build:
  context: .
  containerfile: Containerfile
  args: { NODE_ENV: production, PORT: 8080 }
test:
  command: npm test
  results: reports/junit.xml
publish:
  repository: 127.0.0.1:5000/team/market-data
deploy:
  environments:
    - { name: staging, namespace: staging }
`;

const WITH_CANARY = `service: market-data
build: {}
test: { command: npm test, results: reports/junit.xml }
publish: { repository: 127.0.0.1:5000/team/market-data }
deploy:
  manifests: deploy/
  environments:
    - { name: staging, namespace: staging }
    - name: production
      namespace: production
      approval: required
      canary:
        analysis:
          interval: 1s
          metrics:
            - name: error-rate
              query: sum(rate(http_requests_total{track="{{track}}",code=~"5.."}[1m]))
              max: 0.01
              compare: { to: stable, maxRatio: 1.5 }
`;

function messages(text: string): string[] {
  try {
    parsePipelineText(text);
  } catch (error) {
    if (error instanceof PipelineFileError) return error.message.split('\n');
    throw error;
  }
  throw new Error('expected the pipeline to be rejected');
}

describe('parsePipelineText', () => {
  it('accepts the documented shape and fills defaults', () => {
    const { spec } = parsePipelineText(VALID);
    expect(spec.service).toBe('market-data');
    expect(spec.build.args).toEqual({ NODE_ENV: 'production', PORT: '8080' });
    expect(spec.test.inImage).toBe(false);
    expect(spec.publish.insecure).toBe(false);
    expect(spec.deploy).toEqual({ manifests: 'deploy', environments: [{ name: 'staging', namespace: 'staging', approval: 'none' }] });
    expect(parsePipelineText('service: a\nbuild: {}\ntest: { command: x, results: r.xml }\npublish: { repository: reg.io/a }\n').spec.build).toEqual({
      context: '.',
      containerfile: 'Containerfile',
      args: {},
    });
  });

  // Each kind of mistake names its line and field, the way a compiler does.
  it.each([
    ['a wrong type', VALID.replace('results: reports/junit.xml', 'results: 42'), ['switchyard.yml:8: test.results: must be a string']],
    ['a missing required field', VALID.replace('  command: npm test\n', ''), ['switchyard.yml:6: test.command: is required']],
    ['a missing section', VALID.replace(/publish:\n.*\n/, ''), ['switchyard.yml:1: publish: is required']],
    [
      'an unknown field with a suggestion',
      VALID.replace('  context: .', '  contxt: .'),
      ['switchyard.yml:3: build.contxt: is not a known field (did you mean "context"?)'],
    ],
    [
      'an unknown top-level section',
      `${VALID}rollout: {}\n`,
      [expect.stringMatching(/^switchyard\.yml:14: rollout: is not a known field \(expected one of: version, service, build, test, publish, deploy\)$/)],
    ],
    [
      'an invalid service name',
      VALID.replace('service: market-data', 'service: Market_Data'),
      [expect.stringMatching(/^switchyard\.yml:1: service: must be a DNS label/)],
    ],
    [
      'a repository with a scheme',
      VALID.replace('repository: 127.0.0.1:5000/team/market-data', 'repository: https://registry.example.com/team/x'),
      [expect.stringMatching(/^switchyard\.yml:10: publish\.repository: must be an image repository/)],
    ],
    ['an empty command', VALID.replace('command: npm test', 'command: ""'), ['switchyard.yml:7: test.command: must not be empty']],
    [
      'a nested build argument',
      VALID.replace('args: { NODE_ENV: production, PORT: 8080 }', 'args: { NODE_ENV: { a: 1 } }'),
      ['switchyard.yml:5: build.args.NODE_ENV: must be a string, a number or true or false'],
    ],
    [
      'a bad build argument name',
      VALID.replace('PORT: 8080', '"bad-name": x'),
      [expect.stringMatching(/^switchyard\.yml:5: build\.args\.bad-name: must be a build-argument name/)],
    ],
    [
      'a non-boolean flag',
      VALID.replace('  results: reports/junit.xml', '  results: reports/junit.xml\n  inImage: sometimes'),
      ['switchyard.yml:9: test.inImage: must be true or false'],
    ],
    [
      'a results path escaping the workspace',
      VALID.replace('results: reports/junit.xml', 'results: ../junit.xml'),
      [expect.stringMatching(/^switchyard\.yml:8: test\.results: must be a path inside the workspace/)],
    ],
    [
      'an unknown tag placeholder',
      VALID.replace('  repository: 127.0.0.1:5000/team/market-data', '  repository: 127.0.0.1:5000/team/market-data\n  tag: "{branch}-{date}"'),
      [expect.stringMatching(/^switchyard\.yml:11: publish\.tag: must be a tag template/)],
    ],
    [
      'a bad duration',
      VALID.replace('  results: reports/junit.xml', '  results: reports/junit.xml\n  timeout: soon'),
      ['switchyard.yml:9: test.timeout: must be a duration such as 90s, 10m or 1h'],
    ],
    ['a section that is not a mapping', VALID.replace(/test:\n.*\n.*\n/, 'test: npm test\n'), ['switchyard.yml:6: test: must be a mapping']],
    ['an empty section', VALID.replace(/test:\n.*\n.*\n/, 'test:\n'), ['switchyard.yml:6: test: must be a mapping']],
    [
      'a duplicate key',
      VALID.replace('service: market-data\n', 'service: market-data\nservice: other\n'),
      ['switchyard.yml:2: duplicate key: each field may appear once per mapping'],
    ],
    [
      'an unclosed quote',
      VALID.replace('  results: reports/junit.xml', '  results: "reports/junit.xml'),
      ['switchyard.yml:8: invalid YAML: a double-quoted string starting on this line is never closed'],
    ],
    [
      'bad indentation',
      VALID.replace('  results: reports/junit.xml', ' results: reports/junit.xml'),
      [expect.stringMatching(/^switchyard\.yml:8: invalid YAML: All mapping items must start at the same column$/)],
    ],
    [
      'tab indentation',
      VALID.replace('test:\n  command: npm test', 'test:\n\tcommand: npm test'),
      ['switchyard.yml:7: tabs are not allowed for indentation; use spaces'],
    ],
    ['a list instead of a mapping', '- service: a\n', ['switchyard.yml:1: must be a mapping with service, build, test and publish']],
    ['an empty file', '# nothing yet\n', ['switchyard.yml:1: the file is empty; expected a mapping with service, build, test and publish']],
    ['a wrong format version', `version: 2\n${VALID}`, ['switchyard.yml:1: version: must be 1']],
  ])('rejects %s', (_kind, text, expected) => {
    expect(messages(text)).toEqual(expected);
  });

  it('fills the deploy defaults: manifests folder, approval, canary replicas and analysis settings', () => {
    const { spec } = parsePipelineText(WITH_CANARY);
    expect(spec.deploy?.manifests).toBe('deploy');
    expect(spec.deploy?.environments[1]).toEqual({
      name: 'production',
      namespace: 'production',
      approval: 'required',
      canary: {
        replicas: 1,
        analysis: {
          interval: '1s',
          iterations: 5,
          minSamples: 0,
          failureLimit: 0,
          metrics: [
            {
              name: 'error-rate',
              query: 'sum(rate(http_requests_total{track="{{track}}",code=~"5.."}[1m]))',
              max: 0.01,
              compare: { to: 'stable', maxRatio: 1.5 },
            },
          ],
        },
      },
    });
  });

  it.each([
    [
      'an environment without a namespace',
      WITH_CANARY.replace('{ name: staging, namespace: staging }', '{ name: staging }'),
      ['switchyard.yml:8: deploy.environments[0].namespace: is required'],
    ],
    [
      'an unknown approval mode',
      WITH_CANARY.replace('approval: required', 'approval: sometimes'),
      ['switchyard.yml:11: deploy.environments[1].approval: must be one of: "required", "none"'],
    ],
    [
      'a duplicate environment',
      WITH_CANARY.replace('    - name: production\n      namespace: production', '    - name: staging\n      namespace: production'),
      ['switchyard.yml:9: deploy.environments[1].name: "staging" is already an environment above'],
    ],
    [
      'a bad interval',
      WITH_CANARY.replace('interval: 1s', 'interval: often'),
      ['switchyard.yml:14: deploy.environments[1].canary.analysis.interval: must be a duration such as 90s, 10m or 1h'],
    ],
    [
      'a metric without a bound',
      WITH_CANARY.replace('              max: 0.01\n              compare: { to: stable, maxRatio: 1.5 }\n', ''),
      ['switchyard.yml:16: deploy.environments[1].canary.analysis.metrics[0]: needs a bound: max, min or compare'],
    ],
    [
      'a comparison with something other than stable',
      WITH_CANARY.replace('to: stable', 'to: canary'),
      ['switchyard.yml:19: deploy.environments[1].canary.analysis.metrics[0].compare.to: must be "stable"'],
    ],
    [
      'a canary without analysis',
      WITH_CANARY.replace(/ {6}canary:\n[\s\S]*$/, '      canary: { replicas: 2 }\n'),
      ['switchyard.yml:12: deploy.environments[1].canary.analysis: is required'],
    ],
    [
      'an empty environment list',
      WITH_CANARY.replace(/ {2}environments:\n[\s\S]*$/, '  environments: []\n'),
      ['switchyard.yml:7: deploy.environments: must NOT have fewer than 1 items'],
    ],
    [
      'a manifests folder outside the workspace',
      WITH_CANARY.replace('manifests: deploy/', 'manifests: ../deploy'),
      [expect.stringMatching(/^switchyard\.yml:6: deploy\.manifests: must be a path inside the workspace/)],
    ],
  ])('rejects %s in the deploy section', (_kind, text, expected) => {
    expect(messages(text)).toEqual(expected);
  });

  it('reports every problem at once, in line order', () => {
    const text = VALID.replace('service: market-data', 'service: 42').replace('results: reports/junit.xml', 'results: [a]');
    expect(messages(text)).toEqual(['switchyard.yml:1: service: must be a string', 'switchyard.yml:8: test.results: must be a string']);
  });
});

describe('loadPipelineFile', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pipeline-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('loads switchyard.yml from a directory and checks the build context exists', () => {
    writeFileSync(join(dir, 'switchyard.yml'), VALID);
    writeFileSync(join(dir, 'Containerfile'), 'FROM scratch\n');
    const file = loadPipelineFile(dir);
    expect(file.dir).toBe(dir);
    expect(file.spec.service).toBe('market-data');
  });

  it('names a missing Containerfile and a missing context by line', () => {
    writeFileSync(join(dir, 'switchyard.yml'), VALID);
    expect(() => loadPipelineFile(dir)).toThrow('switchyard.yml:4: build.containerfile: file Containerfile does not exist in the build context .');
    writeFileSync(join(dir, 'switchyard.yml'), VALID.replace('context: .', 'context: app'));
    expect(() => loadPipelineFile(dir)).toThrow('switchyard.yml:3: build.context: directory app does not exist next to switchyard.yml');
    mkdirSync(join(dir, 'app'));
    writeFileSync(join(dir, 'switchyard.yml'), 'service: a\nbuild: {}\ntest: { command: x, results: r.xml }\npublish: { repository: reg.io/a }\n');
    expect(() => loadPipelineFile(dir)).toThrow('switchyard.yml:2: build.containerfile: file Containerfile does not exist in the build context .');
  });

  it('says where it looked when there is no file', () => {
    expect(() => loadPipelineFile(dir)).toThrow(`switchyard.yml: no pipeline file at ${join(dir, 'switchyard.yml')}`);
  });
});

describe('checkPipelineSchema (the API validates the same schema, without lines)', () => {
  it('returns violations with paths', () => {
    const { violations } = checkPipelineSchema({ service: 'a', build: {}, test: { command: 'x' }, publish: { repository: 'A' } });
    expect(violations.map((v) => [v.segments.join('.'), v.problem])).toEqual([
      ['test.results', 'is required'],
      ['publish.repository', expect.stringMatching(/^must be an image repository/)],
    ]);
  });
});
