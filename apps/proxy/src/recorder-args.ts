import { PathPattern, PathPatternError } from '@switchyard/mirror';
import { DEFAULT_RECORD_SETTINGS, type RecordSettings } from './recorder';

export const RECORD_OPTIONS = ['record', 'record-sample', 'record-max-bytes', 'record-max-files', 'record-redact'] as const;

export const RECORD_USAGE =
  '       either mode: [--record DIR [--record-sample 100] [--record-max-bytes 268435456] [--record-max-files 8] [--record-redact "$.a.b,$..ssn"]]  capture exchanges for `switchyard replay`';

/**
 * `--record DIR` and its bounds, or undefined without it. Errors are plain messages the caller
 * wraps in its own error type (the proxy's ProxyArgsError).
 */
export function parseRecordArgs(values: ReadonlyMap<string, string>): { record?: RecordSettings; problem?: string } {
  const dir = values.get('record');
  if (dir === undefined) {
    const stray = RECORD_OPTIONS.find((name) => name !== 'record' && values.has(name));
    return stray ? { problem: `--${stray} needs --record DIR` } : {};
  }
  if (dir.trim() === '') return { problem: '--record needs a directory' };
  const sample = values.get('record-sample') ?? String(DEFAULT_RECORD_SETTINGS.sample);
  if (!/^\d+(\.\d+)?$/.test(sample) || Number(sample) > 100) return { problem: `--record-sample must be a percent (0–100), got "${sample}"` };
  const maxBytes = values.get('record-max-bytes') ?? String(DEFAULT_RECORD_SETTINGS.maxBytes);
  if (!/^\d+$/.test(maxBytes) || Number(maxBytes) < 64 * 1024) return { problem: `--record-max-bytes must be a number of bytes ≥ 65536, got "${maxBytes}"` };
  const maxFiles = values.get('record-max-files') ?? String(DEFAULT_RECORD_SETTINGS.maxFiles);
  if (!/^\d+$/.test(maxFiles) || Number(maxFiles) < 1) return { problem: `--record-max-files must be a whole number ≥ 1, got "${maxFiles}"` };
  // JSON paths masked in every captured body, besides the secret-looking keys always masked.
  const redactPaths = (values.get('record-redact') ?? '')
    .split(',')
    .map((path) => path.trim())
    .filter((path) => path !== '');
  for (const path of redactPaths) {
    try {
      PathPattern.parse(path);
    } catch (error) {
      if (!(error instanceof PathPatternError)) throw error;
      return { problem: `--record-redact: "${path}": ${error.message}` };
    }
  }
  return {
    record: { dir, sample: Number(sample), maxBytes: Number(maxBytes), maxFiles: Number(maxFiles), ...(redactPaths.length > 0 ? { redactPaths } : {}) },
  };
}
