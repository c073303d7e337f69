import { existsSync, readFileSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import type { BuiltImage, ImageBuilder, PushedImage, RegistryCredentials } from '../builders/image-builder';
import { JUnitParseError, parseJUnitXml, type TestSummary } from '../junit/junit-report';
import type { PipelineFile } from '../pipeline/pipeline-file';
import type { StageName } from '../pipeline/pipeline-spec';
import { RegistryPublisher } from '../registry/registry-publisher';
import type { StageArtifacts, StageReport } from '../releases/release.entity';
import { LogTail, runCommand } from '../builders/command-runner';

/** Where stage progress goes (the server, through the CLI's API client). Throwing stops the release. */
export interface ReleaseReporter {
  report(stage: StageName, report: StageReport): Promise<void>;
}

/** What the console shows. */
export interface ReleaseRunObserver {
  stageStarted(stage: StageName): void;
  stageOutput(stage: StageName, line: string): void;
  stageFinished(stage: StageName, outcome: StageOutcome): void;
}

export interface StageOutcome {
  status: 'succeeded' | 'failed' | 'skipped';
  elapsedMs: number;
  error?: string;
  note?: string;
  testSummary?: TestSummary;
  artifacts?: StageArtifacts;
}

export interface ReleaseRunOptions {
  tag: string;
  push: boolean;
  credentials?: RegistryCredentials;
  /** `--build-arg` overrides on top of the pipeline's `build.args`. */
  buildArgs?: Record<string, string>;
  /** Environment of the test command (the CI job's). */
  env: NodeJS.ProcessEnv;
  /** How often a long stage re-reports `running`, so the server knows the reporter is alive. */
  heartbeatMs?: number;
}

export interface ReleaseRunResult {
  status: 'succeeded' | 'failed';
  failedStage?: StageName;
  error?: string;
  /** Set when the server did not accept a report (unreachable, or it refused): the outcome may not be recorded. */
  reporterLost?: boolean;
  image?: BuiltImage;
  pushed?: PushedImage;
  testSummary?: TestSummary;
}

class StageFailure extends Error {
  constructor(
    message: string,
    readonly extra: { testSummary?: TestSummary } = {},
  ) {
    super(message);
  }
}

/**
 * Build → test → publish for one pipeline file, reporting every start and end. The first failing
 * stage ends the release; later stages never run (a failed test publishes nothing).
 */
export class ReleaseRunner {
  constructor(
    private readonly builder: ImageBuilder,
    private readonly reporter: ReleaseReporter,
    private readonly observer: ReleaseRunObserver,
  ) {}

  async run(pipeline: PipelineFile, options: ReleaseRunOptions): Promise<ReleaseRunResult> {
    const { spec } = pipeline;
    const reference = `${spec.publish.repository}:${options.tag}`;
    const result: ReleaseRunResult = { status: 'succeeded' };
    try {
      const image = await this.stage('build', options, async (log) => {
        const built = await this.builder.build({
          contextDir: resolve(pipeline.dir, spec.build.context),
          containerfile: resolve(pipeline.dir, spec.build.context, spec.build.containerfile),
          args: { ...spec.build.args, ...options.buildArgs },
          target: spec.build.target,
          reference,
          onLine: log,
        });
        return {
          value: built,
          artifacts: { builder: this.builder.name, imageId: built.imageId, localDigest: built.localDigest, imageReference: reference },
          note: `image ${built.imageId.slice(0, 19)}`,
        };
      });
      result.image = image;

      result.testSummary = await this.stage('test', options, async (log) => {
        const summary = await this.test(pipeline, image, options, log);
        return { value: summary, testSummary: summary, note: describeSummary(summary) };
      });

      if (!options.push) {
        await this.skip('publish', 'not pushed (--no-push)');
      } else {
        result.pushed = await this.stage('publish', options, async (log) => {
          const pushed = await new RegistryPublisher(this.builder).publish({
            image: reference,
            publish: spec.publish,
            tag: options.tag,
            credentials: options.credentials,
            onLine: log,
          });
          return {
            value: pushed,
            artifacts: { builder: this.builder.name, imageReference: pushed.reference, imageDigest: pushed.digest },
            note: pushed.digest,
          };
        });
      }
      return result;
    } catch (error) {
      if (error instanceof StageRunError) {
        return { ...result, status: 'failed', failedStage: error.stage, error: error.message, reporterLost: error.reporterLost };
      }
      throw error;
    }
  }

  private async test(pipeline: PipelineFile, image: BuiltImage, options: ReleaseRunOptions, log: (line: string) => void): Promise<TestSummary> {
    const { test } = pipeline.spec;
    const timeoutMs = test.timeout ? durationMs(test.timeout) : undefined;
    let exit: { code: number | null; timedOut: boolean; signal?: NodeJS.Signals | null; spawnError?: Error };
    let xml: string | undefined;
    if (test.inImage) {
      log(`$ ${test.command}   (inside ${image.reference})`);
      const ran = await this.builder.runInImage({ image: image.reference, command: test.command, resultsPath: test.results, timeoutMs, onLine: log });
      exit = { code: ran.exitCode, timedOut: ran.timedOut };
      xml = ran.results;
    } else {
      const resultsFile = resolve(pipeline.dir, test.results);
      // A report left by an earlier run must not pass for this one.
      rmSync(resultsFile, { force: true });
      log(`$ ${test.command}`);
      exit = await runCommand('sh', ['-c', test.command], {
        cwd: pipeline.dir,
        env: { ...options.env, SWITCHYARD_IMAGE: image.reference, SWITCHYARD_IMAGE_ID: image.imageId },
        onLine: log,
        timeoutMs,
      });
      xml = existsSync(resultsFile) ? readFileSync(resultsFile, 'utf8') : undefined;
    }
    const how = exit.spawnError
      ? `could not start: ${exit.spawnError.message}`
      : exit.timedOut
        ? `timed out after ${test.timeout}`
        : exit.signal
          ? `was stopped by ${exit.signal}`
          : `exited with code ${exit.code}`;
    if (xml === undefined) {
      throw new StageFailure(
        exit.code === 0 ? `the test command wrote no results to ${test.results}` : `the test command ${how} and wrote no results to ${test.results}`,
      );
    }
    let summary: TestSummary;
    try {
      summary = parseJUnitXml(xml);
    } catch (error) {
      const reason = error instanceof JUnitParseError ? error.message : String(error);
      throw new StageFailure(`could not read ${test.results}: ${reason}`);
    }
    const failed = summary.failures + summary.errors;
    if (failed > 0) {
      const names = summary.failedCases.slice(0, 3).map((c) => c.name);
      const more = summary.failedCases.length > 3 ? `, and ${summary.failedCases.length - 3} more` : '';
      throw new StageFailure(`${failed} of ${summary.tests} tests failed: ${names.join(', ')}${more}`, { testSummary: summary });
    }
    if (exit.code !== 0 || exit.timedOut)
      throw new StageFailure(`the test command ${how} although ${test.results} shows no failures`, { testSummary: summary });
    return summary;
  }

  private async stage<T>(
    name: StageName,
    options: ReleaseRunOptions,
    work: (log: (line: string) => void) => Promise<{ value: T; artifacts?: StageArtifacts; testSummary?: TestSummary; note?: string }>,
  ): Promise<T> {
    const tail = new LogTail();
    const log = (line: string) => {
      tail.push(line);
      this.observer.stageOutput(name, line);
    };
    await this.send(name, { status: 'running' });
    this.observer.stageStarted(name);
    const started = Date.now();
    const heartbeat = setInterval(() => {
      // Best effort: a missed heartbeat is retried by the next; the stage's final report is not.
      this.reporter.report(name, { status: 'running', logTail: tail.text() }).catch(() => undefined);
    }, options.heartbeatMs ?? 30_000);
    heartbeat.unref();
    let done: { value: T; artifacts?: StageArtifacts; testSummary?: TestSummary; note?: string };
    try {
      done = await work(log);
    } catch (error) {
      clearInterval(heartbeat);
      const message = error instanceof Error ? error.message : String(error);
      const testSummary = error instanceof StageFailure ? error.extra.testSummary : undefined;
      this.observer.stageFinished(name, { status: 'failed', elapsedMs: Date.now() - started, error: message, testSummary });
      await this.send(name, { status: 'failed', error: message, logTail: tail.text(), testSummary });
      throw new StageRunError(name, message, false);
    }
    clearInterval(heartbeat);
    this.observer.stageFinished(name, {
      status: 'succeeded',
      elapsedMs: Date.now() - started,
      note: done.note,
      testSummary: done.testSummary,
      artifacts: done.artifacts,
    });
    await this.send(name, { status: 'succeeded', logTail: tail.text(), testSummary: done.testSummary, artifacts: done.artifacts });
    return done.value;
  }

  private async skip(name: StageName, note: string): Promise<void> {
    await this.send(name, { status: 'skipped' });
    this.observer.stageFinished(name, { status: 'skipped', elapsedMs: 0, note });
  }

  private async send(name: StageName, report: StageReport): Promise<void> {
    try {
      await this.reporter.report(name, report);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new StageRunError(name, message, true);
    }
  }
}

class StageRunError extends Error {
  constructor(
    readonly stage: StageName,
    message: string,
    readonly reporterLost: boolean,
  ) {
    super(message);
  }
}

function describeSummary(summary: TestSummary): string {
  const parts = [`${summary.passed} passed`];
  if (summary.skipped) parts.push(`${summary.skipped} skipped`);
  return `${summary.tests} tests: ${parts.join(', ')}${summary.tests === 0 ? ' (no tests ran)' : ''}`;
}

function durationMs(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(text);
  if (!match) return Number.NaN;
  return Math.round(Number(match[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[match[2] as 'ms' | 's' | 'm' | 'h']);
}
