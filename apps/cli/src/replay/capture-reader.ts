import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CAPTURE_SEGMENT_SUFFIX, CaptureFormatError, parseCaptureSegment, type CaptureRecordLine, type CaptureRouteLine } from '@switchyard/mirror';
import { CommandError } from '../cli-io';

export interface CapturedExchangeAt {
  /** Wall-clock milliseconds of the request's arrival at the recording proxy. */
  at: number;
  record: CaptureRecordLine;
}

export interface Capture {
  routes: Map<string, CaptureRouteLine>;
  /** In arrival order. */
  exchanges: CapturedExchangeAt[];
  segments: number;
  /** Where a damaged capture stops (file:line: what), when `allowPartial` let the replay go on. */
  damage?: string;
}

/**
 * Reads a capture directory's segments in the order they were written. A segment of another
 * format or version stops the replay; a truncated or damaged line stops reading there, and the
 * replay either refuses (the default: one clear line) or, with `allowPartial`, goes on with what
 * came before the damage.
 */
export function readCapture(dir: string, options: { allowPartial: boolean }): Capture {
  let names: string[];
  try {
    if (!statSync(dir).isDirectory()) throw new CommandError(`--capture ${dir} is not a directory`);
    names = readdirSync(dir)
      .filter((name) => name.endsWith(CAPTURE_SEGMENT_SUFFIX))
      .sort();
  } catch (error) {
    if (error instanceof CommandError) throw error;
    throw new CommandError(`--capture ${dir}: cannot read it (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  if (names.length === 0) throw new CommandError(`--capture ${dir} holds no capture segments (*${CAPTURE_SEGMENT_SUFFIX})`);
  const routes = new Map<string, CaptureRouteLine>();
  const exchanges: CapturedExchangeAt[] = [];
  let damage: string | undefined;
  let segments = 0;
  for (const name of names) {
    const file = join(dir, name);
    let segment;
    try {
      segment = parseCaptureSegment(readFileSync(file, 'utf8'), file);
    } catch (error) {
      if (error instanceof CaptureFormatError) throw new CommandError(error.message);
      throw new CommandError(`${file}: cannot read it (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    segments++;
    for (const route of segment.routes) routes.set(route.name, route);
    const origin = Date.parse(segment.header.startedAt);
    for (const record of segment.records) exchanges.push({ at: origin + record.offsetMs, record });
    if (segment.damage) {
      if (!options.allowPartial) {
        throw new CommandError(`${segment.damage}; pass --allow-partial to replay the ${exchanges.length} exchanges before it`);
      }
      damage = segment.damage;
      break;
    }
  }
  exchanges.sort((a, b) => a.at - b.at);
  return { routes, exchanges, segments, ...(damage ? { damage } : {}) };
}
