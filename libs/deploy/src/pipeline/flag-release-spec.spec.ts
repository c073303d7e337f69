import { parsePipelineText } from './pipeline-file';
import { PipelineFileError } from './pipeline-spec';

const pipeline = (release: string) => `service: quotes
build: {}
test: { command: npm test, results: reports/junit.xml }
publish: { repository: 127.0.0.1:5000/team/quotes }
deploy:
  environments:
    - name: production
      namespace: quotes
      release:
${release
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

const ERRORS = 'sum(rate(http_requests_total{service="{{service}}",code=~"5.."}[1m])) / sum(rate(http_requests_total{service="{{service}}"}[1m]))';

describe('release in switchyard.yml', () => {
  it('reads percentages as numbers and fills defaults', () => {
    const { spec } = parsePipelineText(
      pipeline(
        `flags: [quotes.new-pricing]\nsteps: [1%, 10%, 50%, 100%]\ninterval: 10m\nguardrails:\n  metrics:\n    - { name: errors, query: '${ERRORS}', max: 0.01 }`,
      ),
    );
    expect(spec.deploy?.environments[0].release).toEqual({
      flags: ['quotes.new-pricing'],
      steps: [1, 10, 50, 100],
      interval: '10m',
      guardrails: { minSamples: 0, failureLimit: 0, metrics: [{ name: 'errors', query: ERRORS, max: 0.01 }] },
    });
    expect(parsePipelineText(pipeline('flags: [a]\nguardrails: { usage: { minEvaluations: 10 } }')).spec.deploy?.environments[0].release).toEqual({
      flags: ['a'],
      steps: [1, 10, 50, 100],
      interval: '10m',
      guardrails: { minSamples: 0, failureLimit: 0, metrics: [], usage: { minEvaluations: 10 } },
    });
  });

  // Every mistake names its line (the value's own) and its field.
  it.each([
    [
      'steps not increasing',
      'flags: [a]\nsteps: [10%, 5%, 100%]\nguardrails: { usage: { minEvaluations: 1 } }',
      ['switchyard.yml:11: deploy.environments[0].release.steps[1]: must be higher than the step before it (10%): steps only go up (got 5%)'],
    ],
    [
      'a step over 100 %',
      'flags: [a]\nsteps: [50%, 150%]\nguardrails: { usage: { minEvaluations: 1 } }',
      ['switchyard.yml:11: deploy.environments[0].release.steps[1]: must be more than 0% and at most 100% (got 150%)'],
    ],
    [
      'a step of 0 %',
      'flags: [a]\nsteps: [0%]\nguardrails: { usage: { minEvaluations: 1 } }',
      ['switchyard.yml:11: deploy.environments[0].release.steps[0]: must be more than 0% and at most 100% (got 0%)'],
    ],
    [
      'a step without a percent sign',
      'flags: [a]\nsteps: [ten]\nguardrails: { usage: { minEvaluations: 1 } }',
      ['switchyard.yml:11: deploy.environments[0].release.steps[0]: must be a percentage such as 10%'],
    ],
    [
      'an interval that is no duration',
      'flags: [a]\ninterval: soon\nguardrails: { usage: { minEvaluations: 1 } }',
      ['switchyard.yml:11: deploy.environments[0].release.interval: must be a duration such as 90s, 10m or 1h'],
    ],
    [
      'no flags',
      'flags: []\nguardrails: { usage: { minEvaluations: 1 } }',
      ['switchyard.yml:10: deploy.environments[0].release.flags: must NOT have fewer than 1 items'],
    ],
    [
      'a flag key that is no flag key',
      'flags: [New Pricing]\nguardrails: { usage: { minEvaluations: 1 } }',
      [
        "switchyard.yml:10: deploy.environments[0].release.flags[0]: must be a flag key: 1-128 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit",
      ],
    ],
    [
      'a flag twice',
      'flags: [a, a]\nguardrails: { usage: { minEvaluations: 1 } }',
      ['switchyard.yml:10: deploy.environments[0].release.flags[1]: "a" is already in the list'],
    ],
    ['nothing to measure', 'flags: [a]', ['switchyard.yml:9: deploy.environments[0].release.guardrails: needs something to measure: metrics, usage, or both']],
    [
      'a guardrail without a bound',
      `flags: [a]\nguardrails:\n  metrics:\n    - { name: errors, query: 'up' }`,
      ['switchyard.yml:13: deploy.environments[0].release.guardrails.metrics[0]: needs a bound: max or min'],
    ],
  ])('refuses %s, naming the line and field', (_what, block, expected) => {
    expect(messages(pipeline(block))).toEqual(expected);
  });
});
