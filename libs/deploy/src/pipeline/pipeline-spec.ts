/** `switchyard.yml` after validation, with defaults applied. Mirrors switchyard.schema.json. */
export interface PipelineSpec {
  version?: 1;
  service: string;
  build: BuildSpec;
  test: TestSpec;
  publish: PublishSpec;
  /** Read by the rollout stages; kept as written. */
  deploy?: Record<string, unknown>;
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
