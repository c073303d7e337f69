import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BuildRequest, BuiltImage, ImageBuilder, PushedImage, PushRequest, RunInImageResult } from '../builders/image-builder';
import type { PipelineFile } from '../pipeline/pipeline-file';
import type { StageName } from '../pipeline/pipeline-spec';
import type { StageReport } from '../releases/release.entity';
import { ReleaseRunner, type ReleaseRunObserver } from './release-runner';

/**
 * The stage semantics (what counts as a failed test, what stops a release) do not depend on the
 * image builder; the e2e suites run the same runner with real buildah and a real registry.
 */
class RecordingBuilder implements ImageBuilder {
  readonly name = 'buildah' as const;
  readonly pushes: PushRequest[] = [];
  async build(request: BuildRequest): Promise<BuiltImage> {
    request.onLine?.('COMMIT');
    return { reference: request.reference, imageId: `sha256:${'1'.repeat(64)}` };
  }
  async push(request: PushRequest): Promise<PushedImage> {
    this.pushes.push(request);
    return { reference: request.destination, digest: `sha256:${'2'.repeat(64)}` };
  }
  async runInImage(): Promise<RunInImageResult> {
    throw new Error('not used');
  }
}

const silent: ReleaseRunObserver = { stageStarted: () => undefined, stageOutput: () => undefined, stageFinished: () => undefined };
const PASSING = '<testsuites><testsuite name="s"><testcase name="a"/><testcase name="b"/></testsuite></testsuites>';

describe('ReleaseRunner', () => {
  let dir: string;
  let builder: RecordingBuilder;
  let reports: Array<[StageName, StageReport]>;
  const pipeline = (command: string, timeout?: string): PipelineFile => ({
    path: join(dir, 'switchyard.yml'),
    dir,
    spec: {
      service: 'svc',
      build: { context: '.', containerfile: 'Containerfile', args: { A: '1' } },
      test: { command, results: 'reports/junit.xml', inImage: false, timeout },
      publish: { repository: '127.0.0.1:5000/team/svc', insecure: false },
    },
  });
  const run = (file: PipelineFile, failOn?: (stage: StageName, report: StageReport) => boolean) =>
    new ReleaseRunner(
      builder,
      {
        report: async (stage, report) => {
          if (failOn?.(stage, report)) throw new Error('cannot reach the server');
          reports.push([stage, report]);
        },
      },
      silent,
    ).run(file, { tag: 'main.1', push: true, env: { PATH: '/usr/bin:/bin' } });
  const writeReport = (xml: string) => `mkdir -p reports && printf '%s' '${xml}' > reports/junit.xml`;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'runner-'));
    builder = new RecordingBuilder();
    reports = [];
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reports each stage start and end, with artifacts and the test summary', async () => {
    const result = await run(pipeline(writeReport(PASSING)));
    expect(result).toMatchObject({ status: 'succeeded', pushed: { digest: `sha256:${'2'.repeat(64)}` }, testSummary: { tests: 2, passed: 2 } });
    expect(reports.map(([stage, r]) => `${stage}:${r.status}`)).toEqual([
      'build:running',
      'build:succeeded',
      'test:running',
      'test:succeeded',
      'publish:running',
      'publish:succeeded',
    ]);
    expect(reports[1][1]).toMatchObject({
      logTail: 'COMMIT',
      artifacts: { imageId: `sha256:${'1'.repeat(64)}`, imageReference: '127.0.0.1:5000/team/svc:main.1' },
    });
    expect(reports[5][1].artifacts).toEqual({ builder: 'buildah', imageReference: '127.0.0.1:5000/team/svc:main.1', imageDigest: `sha256:${'2'.repeat(64)}` });
    // Loopback registries are pushed to without TLS verification.
    expect(builder.pushes[0]).toMatchObject({ destination: '127.0.0.1:5000/team/svc:main.1', insecure: true });
  });

  it.each([
    ['no results written', 'true', 'the test command wrote no results to reports/junit.xml'],
    ['a failing command without results', 'echo boom; exit 4', 'the test command exited with code 4 and wrote no results to reports/junit.xml'],
    [
      'a non-zero exit with a clean report',
      `${writeReport(PASSING)}; exit 1`,
      'the test command exited with code 1 although reports/junit.xml shows no failures',
    ],
    [
      'a malformed report',
      writeReport('<testsuites><testcase name="a">'),
      'could not read reports/junit.xml: malformed XML at line 1: <testcase> is never closed',
    ],
    [
      'failing cases',
      writeReport('<testsuite><testcase name="x"><error message="boom"/></testcase><testcase name="y"/></testsuite>'),
      '1 of 2 tests failed: x',
    ],
  ])('fails the test stage on %s and publishes nothing', async (_case, command, error) => {
    const result = await run(pipeline(command));
    expect(result).toMatchObject({ status: 'failed', failedStage: 'test', error, reporterLost: false });
    expect(reports.at(-1)).toEqual(['test', expect.objectContaining({ status: 'failed', error })]);
    expect(builder.pushes).toEqual([]);
  });

  it('never reads a report left by an earlier run', async () => {
    mkdirSync(join(dir, 'reports'));
    writeFileSync(join(dir, 'reports/junit.xml'), PASSING);
    const result = await run(pipeline('true'));
    expect(result.error).toBe('the test command wrote no results to reports/junit.xml');
  });

  it('stops a test command at its timeout', async () => {
    const result = await run(pipeline('sleep 5', '300ms'));
    expect(result.error).toBe('the test command timed out after 300ms and wrote no results to reports/junit.xml');
  });

  it('stops when a report cannot be delivered, before the next stage does anything', async () => {
    const result = await run(pipeline(writeReport(PASSING)), (stage, report) => stage === 'publish' && report.status === 'running');
    expect(result).toMatchObject({ status: 'failed', failedStage: 'publish', reporterLost: true, error: 'cannot reach the server' });
    expect(builder.pushes).toEqual([]);
  });
});
