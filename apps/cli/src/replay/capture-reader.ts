import { CaptureReadError, readCaptureDirectory, type Capture } from '@switchyard/mirror';
import { CommandError } from '../cli-io';

export type { Capture, CapturedExchangeAt } from '@switchyard/mirror';

/**
 * Reads a capture directory (libs/mirror's readCaptureDirectory) and words what stops it for the
 * command line: the `--capture` option, and `--allow-partial` as the way past a damaged segment.
 */
export async function readCapture(dir: string, options: { allowPartial: boolean }): Promise<Capture> {
  try {
    return await readCaptureDirectory(dir, options);
  } catch (error) {
    if (!(error instanceof CaptureReadError)) throw error;
    switch (error.kind) {
      case 'not-a-directory':
        throw new CommandError(`--capture ${dir} is not a directory`);
      case 'empty':
        throw new CommandError(`--capture ${dir} ${error.message.slice(dir.length + 1)}`);
      case 'unreadable':
        // The directory itself, or one of its segments (named by the message).
        throw new CommandError(error.message.startsWith(`${dir}:`) ? `--capture ${error.message}` : error.message);
      case 'damaged':
        throw new CommandError(`${error.detail.damage}; pass --allow-partial to replay the ${error.detail.before} exchanges before it`);
      case 'format':
        throw new CommandError(error.message);
    }
  }
}
