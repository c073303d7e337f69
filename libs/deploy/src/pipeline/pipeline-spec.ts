import type { AnalysisSpec, MetricSpec } from './pipeline.contract';

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
  /** Before any user traffic reaches the release: a shadow copy, compared through a mirror route. */
  darkLaunch?: DarkLaunchSpec;
  /** After the image runs here: the feature's flags stepped up progressively, guarded by metrics. */
  release?: FlagReleaseSpec;
}

/**
 * The `release:` block of an environment, defaults applied: percentages as numbers (`10%` → 10),
 * the interval as written (`10m`).
 */
export interface FlagReleaseSpec {
  /** Boolean flag keys turned on together, step by step. */
  flags: string[];
  /** Percent of users the flags are on for at each step: strictly increasing, 0 < x ≤ 100. */
  steps: number[];
  /** How long each step holds before its guardrails are judged. */
  interval: string;
  guardrails: GuardrailSpec;
}

/**
 * What is measured at the end of each step's hold, in the canary analysis' metric syntax.
 * Queries may use {{flag}} (measured once per flag) and {{percent}} besides {{service}},
 * {{environment}}, {{namespace}} and {{track}} (always `stable`: the release runs everywhere).
 */
export interface GuardrailSpec {
  /** Fewer requests than this (the `samples` query) in a step make it inconclusive rather than failed. */
  minSamples: number;
  /** PromQL counting the requests a step served (default: increase of http_requests_total over 1m). */
  samples?: string;
  /** Failed steps tolerated over the stage; one more trips the kill switch. */
  failureLimit: number;
  metrics: MetricSpec[];
  /**
   * Flag usage the SDKs report to the server: fewer evaluations of a flag in the environment
   * during a step than `minEvaluations` make the step inconclusive (nobody exercised the feature).
   */
  usage?: { minEvaluations: number };
}

/**
 * The `darkLaunch:` block of an environment, defaults applied. Percentages are numbers here
 * (`10%` in the file becomes 10); the timeout stays as written (`10m`).
 */
export interface DarkLaunchSpec {
  /** The mirror route (created if missing) whose candidate becomes `<deployment>-shadow`. */
  route: string;
  /** Share of users mirrored, through the route's sampling flag: 0 < sample ≤ 100. */
  sample: number;
  /** Fewer comparisons than this when `timeout` ends: insufficient-data. */
  minCompared: number;
  /** Highest mismatch rate after noise cancellation that still passes, in percent. */
  maxMismatch: number;
  timeout: string;
  /**
   * Replay a recorded capture instead of mirroring users (`sample` is then unused): the server
   * sends it to the shadow and the stable Service and decides on the same window and verdict.
   */
  replay?: DarkLaunchReplaySpec;
}

export interface DarkLaunchReplaySpec {
  /** Relative to the server's CAPTURE_ROOT; checked for `..` and absolute paths when the pipeline is validated. */
  capture: string;
  /** 1 = the captured pace. */
  speed: number;
  /** The recorded route whose exchanges are replayed; default: the dark launch's route. */
  route?: string;
}

export interface CanarySpec {
  replicas: number;
  analysis: AnalysisSpec;
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

// Stage names and the analysis spec go on the wire (releases, gate plans): defined in the contract.
export { STAGE_NAMES, type AnalysisSpec, type MetricSpec, type StageName } from './pipeline.contract';

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
