/** `switchyard.yml` after validation, with defaults applied. Mirrors switchyard.schema.json. */
export interface PipelineSpec {
  version?: 1;
  service: string;
  build: BuildSpec;
  test: TestSpec;
  publish: PublishSpec;
  /** Where the release goes after publish: environments in order, gates, canary analysis. */
  deploy?: DeploySpec;
}

/** The `deploy:` section, defaults applied. Durations stay as written (`60s`); the rollout parses them. */
export interface DeploySpec {
  /** Folder (relative to switchyard.yml) holding `<environment>/*.yml` manifests. */
  manifests: string;
  environments: EnvironmentSpec[];
}

export interface EnvironmentSpec {
  name: string;
  namespace: string;
  /** `required`: the release waits at a gate for someone with the approve scope. */
  approval: 'required' | 'none';
  canary?: CanarySpec;
  /** Upper bound for one wait in this environment, beyond each Deployment's progressDeadlineSeconds. */
  timeout?: string;
}

export interface CanarySpec {
  replicas: number;
  analysis: AnalysisSpec;
}

export interface AnalysisSpec {
  interval: string;
  iterations: number;
  /** Fewer canary requests than this in an iteration make it inconclusive rather than failed. */
  minSamples: number;
  /** PromQL counting the canary's requests (default: increase of http_requests_total over 1m). */
  samples?: string;
  /** Iterations allowed to fail before the canary is rolled back. */
  failureLimit: number;
  metrics: MetricSpec[];
}

export interface MetricSpec {
  name: string;
  /** PromQL with {{service}}, {{track}}, {{environment}}, {{namespace}}. */
  query: string;
  max?: number;
  min?: number;
  compare?: { to: 'stable'; maxRatio: number };
}

export interface BuildSpec {
  context: string;
  containerfile: string;
  args: Record<string, string>;
  target?: string;
}

export interface TestSpec {
  command: string;
  results: string;
  inImage: boolean;
  timeout?: string;
}

export interface PublishSpec {
  repository: string;
  tag?: string;
  insecure: boolean;
}

export const STAGE_NAMES = ['build', 'test', 'publish'] as const;
export type StageName = (typeof STAGE_NAMES)[number];

/** One thing wrong with a pipeline file; `line` is 1-based, `path` is `test.results` style. */
export interface PipelineProblem {
  line?: number;
  path: string;
  problem: string;
}

export class PipelineFileError extends Error {
  constructor(
    readonly file: string,
    readonly problems: PipelineProblem[],
  ) {
    super(problems.map((p) => formatProblem(file, p)).join('\n'));
    this.name = 'PipelineFileError';
  }
}

/** `switchyard.yml:7: test.results: must be a string` — the shape compilers use, so editors can jump to it. */
export function formatProblem(file: string, problem: PipelineProblem): string {
  const where = problem.line === undefined ? file : `${file}:${problem.line}`;
  return problem.path ? `${where}: ${problem.path}: ${problem.problem}` : `${where}: ${problem.problem}`;
}
