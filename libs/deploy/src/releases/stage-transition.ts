import { ConflictError, NotFoundError } from '@switchyard/errors';
import type { StageName } from '../pipeline/pipeline-spec';
import type { Release, ReleaseStage, ReportedStageStatus } from './release.entity';

export type StageReportPlan =
  /** The stage is already in the reported state: a retried report. Nothing changes, nothing is audited. */
  | { kind: 'repeat'; stage: ReleaseStage }
  /** `running` again while running: the reporter is alive; refresh its log tail. */
  | { kind: 'heartbeat'; stage: ReleaseStage }
  | { kind: 'change'; stage: ReleaseStage; to: ReportedStageStatus; releaseOutcome?: 'succeeded' | 'failed' };

const DONE = new Set(['succeeded', 'skipped']);

/**
 * Decides what a stage report means for a release, or refuses it (409) when the transition is
 * impossible — finishing a stage that never started, starting one whose predecessor has not
 * succeeded, or reporting on a release that already ended.
 */
export function planStageReport(release: Release, stageName: StageName, status: ReportedStageStatus): StageReportPlan {
  const stage = release.stages.find((s) => s.name === stageName);
  if (!stage) throw new NotFoundError('stage', stageName);
  const conflict = (message: string) => new ConflictError(message, { releaseStatus: release.status, stageStatus: stage.status });

  if (stage.status === status && status !== 'running') return { kind: 'repeat', stage };
  if (release.status !== 'running') throw conflict(`release ${release.id} is ${release.status}; it takes no more stage reports`);
  if (stage.status === 'running' && status === 'running') return { kind: 'heartbeat', stage };

  switch (status) {
    case 'running':
    case 'skipped': {
      if (stage.status !== 'pending') throw conflict(`stage ${stageName} is already ${stage.status}`);
      const blocking = release.stages.find((s) => s.position < stage.position && !DONE.has(s.status));
      if (blocking) {
        const verb = status === 'running' ? 'start' : 'be skipped';
        throw conflict(`stage ${stageName} cannot ${verb} before ${blocking.name} has succeeded (${blocking.name} is ${blocking.status})`);
      }
      break;
    }
    case 'succeeded':
    case 'failed':
      if (stage.status === 'pending') throw conflict(`stage ${stageName} never started; report it running first`);
      if (stage.status !== 'running') throw conflict(`stage ${stageName} is already ${stage.status}`);
      break;
  }

  if (status === 'failed') return { kind: 'change', stage, to: status, releaseOutcome: 'failed' };
  if (status === 'running') return { kind: 'change', stage, to: status };
  const othersDone = release.stages.every((s) => s.name === stageName || DONE.has(s.status));
  return { kind: 'change', stage, to: status, releaseOutcome: othersDone ? 'succeeded' : undefined };
}
