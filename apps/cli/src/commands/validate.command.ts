import { resolve } from 'node:path';
import { loadPipelineFile, PipelineFileError } from '@switchyard/deploy';
import { parseCommandArgs } from '../cli-arguments';
import { EXIT_OK, UsageError, type CliIo } from '../cli-io';
import { invalidPipeline } from '../command-errors';

export const VALIDATE_USAGE = `switchyard validate [--dir DIR | --file FILE]
  Checks switchyard.yml against its schema and the workspace (build context, Containerfile).`;

export async function validateCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('validate', args, { dir: { type: 'string' }, file: { type: 'string' } });
  if (positionals.length) throw new UsageError(`validate: unexpected argument "${positionals[0]}"`);
  try {
    const pipeline = loadPipelineFile(resolve(io.cwd, values.file ?? values.dir ?? '.'));
    io.stdout.write(`${pipeline.path}: ok (service ${pipeline.spec.service})\n`);
    return EXIT_OK;
  } catch (error) {
    if (error instanceof PipelineFileError) throw invalidPipeline(error);
    throw error;
  }
}
