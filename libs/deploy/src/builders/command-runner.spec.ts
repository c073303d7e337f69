import { LogTail, captureCommand, runCommand } from './command-runner';

describe('runCommand', () => {
  it('streams stdout and stderr line by line, including a last line without newline', async () => {
    const lines: string[] = [];
    const result = await runCommand('sh', ['-c', 'echo one; echo two >&2; printf three; exit 3'], { onLine: (line) => lines.push(line) });
    expect(result).toMatchObject({ code: 3, timedOut: false });
    expect(lines.sort()).toEqual(['one', 'three', 'two']);
  });

  it('passes input on stdin and stops a command that runs too long', async () => {
    const lines: string[] = [];
    await runCommand('cat', [], { input: 'secret\n', onLine: (line) => lines.push(line) });
    expect(lines).toEqual(['secret']);
    const started = Date.now();
    // The shell's child holds the output pipes; the whole process group must go.
    const slow = await runCommand('sh', ['-c', 'sleep 10; echo done'], { timeoutMs: 200 });
    expect(slow.timedOut).toBe(true);
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('reports a missing binary instead of throwing', async () => {
    const result = await runCommand('no-such-binary-switchyard', []);
    expect(result.spawnError?.message).toMatch(/ENOENT/);
    expect(await captureCommand('no-such-binary-switchyard', [])).toBeUndefined();
    expect(await captureCommand('sh', ['-c', 'echo " hi "'])).toBe('hi');
  });
});

describe('LogTail', () => {
  it('keeps the most recent lines within its byte bound', () => {
    const tail = new LogTail(20);
    for (let i = 0; i < 10; i++) tail.push(`line ${i}`);
    expect(tail.text()).toBe('line 8\nline 9');
  });
});
