import type { ReleaseRunObserver, StageName, StageOutcome, TestSummary } from '@switchyard/deploy';
import type { CliIo } from '../cli-io';

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const FAILURE_TAIL_LINES = 20;
const FAILED_CASES_SHOWN = 10;

/**
 * Shows stages as they run. On a terminal: one live status line per stage (spinner, elapsed time,
 * latest output), then a summary line. Elsewhere (CI logs, pipes, CI=true): every output line,
 * prefixed with its stage, so the log reads top to bottom without control characters.
 */
export class StageConsole implements ReleaseRunObserver {
  private readonly live: boolean;
  private readonly color: boolean;
  private timer?: NodeJS.Timeout;
  private current?: { stage: StageName; started: number; lastLine: string; tail: string[]; frame: number };

  constructor(private readonly io: CliIo) {
    this.live = Boolean(io.stdout.isTTY) && io.env.CI !== 'true' && io.env.TERM !== 'dumb';
    this.color = this.live && !io.env.NO_COLOR;
  }

  get interactive(): boolean {
    return this.live;
  }

  info(line: string): void {
    this.clearStatus();
    this.io.stdout.write(`${line}\n`);
    this.drawStatus();
  }

  stageStarted(stage: StageName): void {
    this.current = { stage, started: Date.now(), lastLine: '', tail: [], frame: 0 };
    if (!this.live) {
      this.io.stdout.write(`[${stage}] started\n`);
      return;
    }
    this.drawStatus();
    this.timer = setInterval(() => this.drawStatus(), 100);
    this.timer.unref();
  }

  stageOutput(stage: StageName, line: string): void {
    if (!this.live) {
      this.io.stdout.write(`[${stage}] ${line}\n`);
      return;
    }
    if (!this.current) return;
    if (line.trim()) this.current.lastLine = line.trim();
    this.current.tail.push(line);
    if (this.current.tail.length > FAILURE_TAIL_LINES) this.current.tail.shift();
  }

  stageFinished(stage: StageName, outcome: StageOutcome): void {
    clearInterval(this.timer);
    this.timer = undefined;
    const tail = this.current?.stage === stage ? this.current.tail : [];
    this.current = undefined;
    const elapsed = seconds(outcome.elapsedMs);
    if (!this.live) {
      const detail = outcome.status === 'failed' ? `: ${outcome.error}` : outcome.note ? ` — ${outcome.note}` : '';
      this.io.stdout.write(outcome.status === 'skipped' ? `[${stage}] skipped${detail}\n` : `[${stage}] ${outcome.status} in ${elapsed}${detail}\n`);
      for (const line of failedCaseLines(outcome.testSummary)) this.io.stdout.write(`[${stage}] ${line}\n`);
      return;
    }
    this.clearStatus();
    const name = stage.padEnd(8);
    switch (outcome.status) {
      case 'succeeded':
        this.io.stdout.write(`${this.paint('32', '✔')} ${name}${this.paint('2', elapsed.padStart(7))}  ${outcome.note ?? ''}\n`);
        break;
      case 'skipped':
        this.io.stdout.write(`${this.paint('33', '–')} ${name}${this.paint('2', 'skipped'.padStart(7))}  ${outcome.note ?? ''}\n`);
        break;
      case 'failed':
        this.io.stdout.write(`${this.paint('31', '✖')} ${name}${this.paint('2', elapsed.padStart(7))}  ${this.paint('31', outcome.error ?? 'failed')}\n`);
        for (const line of failedCaseLines(outcome.testSummary)) this.io.stdout.write(`    ${line}\n`);
        if (tail.length) {
          this.io.stdout.write(this.paint('2', `    ── last ${tail.length} lines of ${stage} output ──\n`));
          for (const line of tail) this.io.stdout.write(this.paint('2', `    ${line}\n`));
        }
        break;
    }
  }

  /** Stops the live line (on exit paths that never finish a stage). */
  close(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.clearStatus();
  }

  private drawStatus(): void {
    if (!this.live || !this.current) return;
    const current = this.current;
    current.frame = (current.frame + 1) % SPINNER.length;
    const head = `${this.paint('36', SPINNER[current.frame])} ${current.stage.padEnd(8)}${seconds(Date.now() - current.started).padStart(7)}  `;
    const room = Math.max(10, (this.io.stdout.columns || 100) - current.stage.length - 20);
    const line = current.lastLine.length > room ? `${current.lastLine.slice(0, room - 1)}…` : current.lastLine;
    this.io.stdout.write(`\r\x1b[2K${head}${this.paint('2', line)}`);
  }

  private clearStatus(): void {
    if (this.live) this.io.stdout.write('\r\x1b[2K');
  }

  private paint(code: string, text: string): string {
    return this.color ? `\x1b[${code}m${text}\x1b[0m` : text;
  }
}

function failedCaseLines(summary: TestSummary | undefined): string[] {
  if (!summary?.failedCases.length) return [];
  const lines = summary.failedCases.slice(0, FAILED_CASES_SHOWN).map((c) => {
    const where = [c.suite, c.classname].filter((part, i, all) => part && all.indexOf(part) === i).join(' › ');
    return `  ✗ ${where ? `${where} › ` : ''}${c.name}${c.message ? `: ${c.message.split('\n')[0]}` : ''}`;
  });
  if (summary.failedCases.length > FAILED_CASES_SHOWN) lines.push(`  … and ${summary.failedCases.length - FAILED_CASES_SHOWN} more`);
  return lines;
}

export function seconds(ms: number): string {
  return ms < 60_000 ? `${(ms / 1000).toFixed(1)}s` : `${Math.floor(ms / 60_000)}m${String(Math.round((ms % 60_000) / 1000)).padStart(2, '0')}s`;
}
