import { ConflictError, NotFoundError } from '@switchyard/errors';
import type { Release, ReleaseStage, StageStatus } from './release.entity';
import { planStageReport } from './stage-transition';

function release(statuses: [StageStatus, StageStatus, StageStatus], status: Release['status'] = 'running'): Release {
  const stage = (name: ReleaseStage['name'], position: number, s: StageStatus): ReleaseStage => ({
    name,
    position,
    status: s,
    startedAt: null,
    finishedAt: null,
    durationMs: null,
    logTail: null,
    error: null,
    testSummary: null,
    artifacts: null,
  });
  return {
    id: 'r1',
    service: 'svc',
    version: 'v1',
    gitSha: null,
    branch: null,
    buildNumber: null,
    status,
    failedStage: null,
    imageReference: null,
    imageDigest: null,
    createdBy: 'token:ci',
    createdAt: '',
    updatedAt: '',
    lastReportAt: '',
    finishedAt: null,
    pipeline: null,
    stages: [stage('build', 0, statuses[0]), stage('test', 1, statuses[1]), stage('publish', 2, statuses[2])],
  };
}

const conflict = (fn: () => unknown): string => {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConflictError);
    return (error as Error).message;
  }
  throw new Error('expected a conflict');
};

describe('planStageReport', () => {
  it('walks build → test → publish and ends the release with the last stage', () => {
    expect(planStageReport(release(['pending', 'pending', 'pending']), 'build', 'running')).toMatchObject({ kind: 'change', to: 'running' });
    expect(planStageReport(release(['running', 'pending', 'pending']), 'build', 'succeeded')).toEqual(
      expect.objectContaining({ kind: 'change', releaseOutcome: undefined }),
    );
    expect(planStageReport(release(['succeeded', 'succeeded', 'running']), 'publish', 'succeeded')).toMatchObject({
      kind: 'change',
      releaseOutcome: 'succeeded',
    });
    expect(planStageReport(release(['succeeded', 'succeeded', 'pending']), 'publish', 'skipped')).toMatchObject({
      kind: 'change',
      releaseOutcome: 'succeeded',
    });
  });

  it('fails the release with the first failing stage', () => {
    expect(planStageReport(release(['succeeded', 'running', 'pending']), 'test', 'failed')).toMatchObject({
      kind: 'change',
      to: 'failed',
      releaseOutcome: 'failed',
    });
  });

  it('treats a repeated report as a repeat, and running-while-running as a heartbeat', () => {
    expect(planStageReport(release(['succeeded', 'pending', 'pending']), 'build', 'succeeded').kind).toBe('repeat');
    expect(planStageReport(release(['succeeded', 'succeeded', 'succeeded'], 'succeeded'), 'publish', 'succeeded').kind).toBe('repeat');
    expect(planStageReport(release(['succeeded', 'failed', 'pending'], 'failed'), 'test', 'failed').kind).toBe('repeat');
    expect(planStageReport(release(['running', 'pending', 'pending']), 'build', 'running').kind).toBe('heartbeat');
  });

  it('refuses impossible transitions', () => {
    expect(conflict(() => planStageReport(release(['pending', 'pending', 'pending']), 'build', 'succeeded'))).toBe(
      'stage build never started; report it running first',
    );
    expect(conflict(() => planStageReport(release(['running', 'pending', 'pending']), 'test', 'running'))).toBe(
      'stage test cannot start before build has succeeded (build is running)',
    );
    expect(conflict(() => planStageReport(release(['succeeded', 'pending', 'pending']), 'publish', 'skipped'))).toBe(
      'stage publish cannot be skipped before test has succeeded (test is pending)',
    );
    expect(conflict(() => planStageReport(release(['succeeded', 'pending', 'pending']), 'build', 'failed'))).toBe('stage build is already succeeded');
    expect(conflict(() => planStageReport(release(['running', 'pending', 'pending']), 'build', 'skipped'))).toBe('stage build is already running');
    expect(conflict(() => planStageReport(release(['succeeded', 'abandoned', 'pending'], 'abandoned'), 'test', 'succeeded'))).toBe(
      'release r1 is abandoned; it takes no more stage reports',
    );
    expect(conflict(() => planStageReport(release(['running', 'pending', 'pending'], 'abandoned'), 'build', 'running'))).toBe(
      'release r1 is abandoned; it takes no more stage reports',
    );
  });

  it('answers 404 for a stage the release does not have', () => {
    const r = release(['pending', 'pending', 'pending']);
    r.stages = r.stages.slice(0, 2);
    expect(() => planStageReport(r, 'publish', 'running')).toThrow(NotFoundError);
  });
});
