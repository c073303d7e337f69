import type { CliIo } from '../cli-io';
import { StageConsole } from './stage-console';

function io(isTTY: boolean, env: NodeJS.ProcessEnv = {}): CliIo & { text: () => string } {
  let out = '';
  return {
    env,
    cwd: '/',
    stdout: { write: (t: string) => (out += t), isTTY, columns: 80 },
    stderr: { write: () => undefined },
    text: () => out,
  };
}

const summary = {
  tests: 3,
  passed: 2,
  failures: 1,
  errors: 0,
  skipped: 0,
  timeSeconds: 1,
  failedCases: [{ name: 'rejects lower case', classname: 'quotes', suite: 'api', kind: 'failure' as const, message: 'expected 400\nstack' }],
};

describe('StageConsole', () => {
  it('prints plain prefixed lines when stdout is not a terminal', () => {
    const target = io(false);
    const console = new StageConsole(target);
    console.stageStarted('test');
    console.stageOutput('test', 'ok 1');
    console.stageFinished('test', { status: 'failed', elapsedMs: 1234, error: '1 of 3 tests failed', testSummary: summary });
    console.stageFinished('publish', { status: 'skipped', elapsedMs: 0, note: 'not pushed' });
    expect(target.text()).toBe(
      '[test] started\n[test] ok 1\n[test] failed in 1.2s: 1 of 3 tests failed\n[test]   ✗ api › quotes › rejects lower case: expected 400\n[publish] skipped — not pushed\n',
    );
  });

  it('is plain under CI=true even on a terminal', () => {
    expect(new StageConsole(io(true, { CI: 'true' })).interactive).toBe(false);
    expect(new StageConsole(io(true)).interactive).toBe(true);
  });

  it('draws a live status line on a terminal and replaces it with the outcome', () => {
    const target = io(true, { NO_COLOR: '1' });
    const console = new StageConsole(target);
    console.stageStarted('build');
    console.stageOutput('build', 'STEP 1/2: FROM scratch');
    console.stageFinished('build', { status: 'succeeded', elapsedMs: 300, note: 'image sha256:abc' });
    console.close();
    const text = target.text();
    expect(text).toContain('\r\x1b[2K⠙ build      0.0s  ');
    expect(text).toContain('\r\x1b[2K✔ build      0.3s  image sha256:abc\n');
    expect(text).not.toContain('\x1b[3');
  });
});
