import { parsePipelineText } from './pipeline-file';
import { PipelineFileError } from './pipeline-spec';

const pipeline = (darkLaunch: string) => `service: quotes
build: {}
test: { command: npm test, results: reports/junit.xml }
publish: { repository: 127.0.0.1:5000/team/quotes }
deploy:
  environments:
    - name: production
      namespace: quotes
      darkLaunch:
${darkLaunch
  .split('\n')
  .map((line) => `        ${line}`)
  .join('\n')}
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

describe('darkLaunch in switchyard.yml', () => {
  it('reads percentages as numbers and fills defaults', () => {
    const { spec } = parsePipelineText(pipeline('route: quotes\nsample: 10%\nminCompared: 500\nmaxMismatch: 0.1%\ntimeout: 10m'));
    expect(spec.deploy?.environments[0].darkLaunch).toEqual({ route: 'quotes', sample: 10, minCompared: 500, maxMismatch: 0.1, timeout: '10m' });
    expect(parsePipelineText(pipeline('route: quotes')).spec.deploy?.environments[0].darkLaunch).toEqual({
      route: 'quotes',
      sample: 10,
      minCompared: 500,
      maxMismatch: 0.1,
      timeout: '10m',
    });
    expect(parsePipelineText(pipeline('route: quotes\nsample: 100%\nmaxMismatch: 0')).spec.deploy?.environments[0].darkLaunch).toMatchObject({
      sample: 100,
      maxMismatch: 0,
    });
  });

  it('reads a replay block with its defaults: the capture relative to CAPTURE_ROOT, speed 1', () => {
    expect(parsePipelineText(pipeline('route: quotes\nreplay: { capture: staging/quotes/ }')).spec.deploy?.environments[0].darkLaunch).toEqual({
      route: 'quotes',
      sample: 10,
      minCompared: 500,
      maxMismatch: 0.1,
      timeout: '10m',
      replay: { capture: 'staging/quotes', speed: 1 },
    });
    expect(
      parsePipelineText(pipeline('route: quotes\nreplay: { capture: q, speed: 20, route: recorded }')).spec.deploy?.environments[0].darkLaunch?.replay,
    ).toEqual({ capture: 'q', speed: 20, route: 'recorded' });
  });

  // Every mistake names its line (the value's own) and its field.
  it.each([
    [
      'sample over 100 %',
      'route: quotes\nsample: 150%',
      ['switchyard.yml:11: deploy.environments[0].darkLaunch.sample: must be more than 0% and at most 100% (got 150%)'],
    ],
    [
      'sample of 0 %',
      'route: quotes\nsample: 0%',
      ['switchyard.yml:11: deploy.environments[0].darkLaunch.sample: must be more than 0% and at most 100% (got 0%)'],
    ],
    [
      'sample without a percent sign',
      'route: quotes\nsample: ten',
      ['switchyard.yml:11: deploy.environments[0].darkLaunch.sample: must be a percentage such as 10%'],
    ],
    [
      'a route that is no route name',
      'route: Quotes API',
      [
        "switchyard.yml:10: deploy.environments[0].darkLaunch.route: must be a mirror route name: lower-case letters, digits, '.', '_' or '-' (at most 63), starting with a letter or digit",
      ],
    ],
    ['minCompared of 0', 'route: quotes\nminCompared: 0', ['switchyard.yml:11: deploy.environments[0].darkLaunch.minCompared: must be >= 1']],
    [
      'minCompared not a whole number',
      'route: quotes\nminCompared: 2.5',
      ['switchyard.yml:11: deploy.environments[0].darkLaunch.minCompared: must be an integer'],
    ],
    [
      'maxMismatch over 100 %',
      'route: quotes\nmaxMismatch: 101%',
      ['switchyard.yml:11: deploy.environments[0].darkLaunch.maxMismatch: must be a percentage from 0% to 100% (got 101%)'],
    ],
    [
      'a timeout that is no duration',
      'route: quotes\ntimeout: soon',
      ['switchyard.yml:11: deploy.environments[0].darkLaunch.timeout: must be a duration such as 90s, 10m or 1h'],
    ],
    [
      'a zero timeout',
      'route: quotes\ntimeout: 0s',
      ['switchyard.yml:11: deploy.environments[0].darkLaunch.timeout: must be a duration longer than zero, such as 10m'],
    ],
    ['a missing route', 'sample: 10%', ['switchyard.yml:9: deploy.environments[0].darkLaunch.route: is required']],
    [
      'a replay capture outside the capture root',
      'route: quotes\nreplay: { capture: ../etc }',
      ['switchyard.yml:11: deploy.environments[0].darkLaunch.replay.capture: must stay inside the server’s CAPTURE_ROOT: no "." or ".." segments'],
    ],
    [
      'an absolute replay capture',
      'route: quotes\nreplay: { capture: /var/captures/quotes }',
      ['switchyard.yml:11: deploy.environments[0].darkLaunch.replay.capture: must be a path relative to the server’s CAPTURE_ROOT, not an absolute path'],
    ],
    ['a replay without a capture', 'route: quotes\nreplay: { speed: 2 }', ['switchyard.yml:11: deploy.environments[0].darkLaunch.replay.capture: is required']],
    [
      'a replay speed of 0',
      'route: quotes\nreplay: { capture: staging/quotes, speed: 0 }',
      ['switchyard.yml:11: deploy.environments[0].darkLaunch.replay.speed: must be > 0'],
    ],
    [
      'an unknown field',
      'route: quotes\nsampel: 10%',
      ['switchyard.yml:11: deploy.environments[0].darkLaunch.sampel: is not a known field (did you mean "sample"?)'],
    ],
  ])('rejects %s', (_what, block, expected) => {
    expect(messages(pipeline(block))).toEqual(expected);
  });
});
