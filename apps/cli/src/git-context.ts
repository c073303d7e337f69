import { captureCommand } from '@switchyard/deploy';

export interface GitContext {
  gitSha?: string;
  branch?: string;
  buildNumber?: string;
}

/**
 * What CI knows about the build: Jenkins (GIT_COMMIT, BRANCH_NAME/GIT_BRANCH, BUILD_NUMBER), GitHub
 * Actions (GITHUB_SHA, GITHUB_HEAD_REF/GITHUB_REF_NAME, GITHUB_RUN_NUMBER), GitLab (CI_COMMIT_SHA,
 * CI_COMMIT_REF_NAME, CI_PIPELINE_IID), else the working copy itself.
 */
export async function detectGitContext(env: NodeJS.ProcessEnv, dir: string): Promise<GitContext> {
  const gitSha = env.GIT_COMMIT || env.GITHUB_SHA || env.CI_COMMIT_SHA || (await captureCommand('git', ['rev-parse', 'HEAD'], { cwd: dir, env }));
  let branch = env.BRANCH_NAME || env.GIT_BRANCH || env.GITHUB_HEAD_REF || env.GITHUB_REF_NAME || env.CI_COMMIT_REF_NAME;
  if (!branch) {
    const head = await captureCommand('git', ['rev-parse', '--abbrev-ref', 'HEAD'], { cwd: dir, env });
    branch = head && head !== 'HEAD' ? head : undefined;
  }
  // Jenkins multibranch reports origin/main for GIT_BRANCH; the remote is noise in a tag.
  if (branch?.startsWith('origin/')) branch = branch.slice('origin/'.length);
  const buildNumber = env.BUILD_NUMBER || env.GITHUB_RUN_NUMBER || env.CI_PIPELINE_IID || undefined;
  return { gitSha: gitSha?.toLowerCase() || undefined, branch: branch || undefined, buildNumber };
}
