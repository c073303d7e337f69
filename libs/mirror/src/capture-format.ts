import { brotliDecompressSync, gunzipSync, inflateRawSync, inflateSync } from 'node:zlib';
import { PathPatternSet, type PathSegment } from './json-path';
import type { CapturedResponse, HeaderValues } from './prepared-response';
import { REDACTED, SecretRedactor } from './secret-redactor';

/**
 * The record/replay capture: newline-delimited JSON segments written by the proxy's recorder
 * (apps/proxy/src/recorder.ts) and read by `switchyard replay` (apps/cli/src/replay). Each segment
 * starts with a header line naming the format and its version, so a reader refuses what it does
 * not understand instead of guessing; each route's compare rules travel with its records, so a
 * replay compares exactly as the live mirror would.
 */
export const CAPTURE_FORMAT = 'switchyard-capture';
export const CAPTURE_VERSION = 1;
export const CAPTURE_SEGMENT_SUFFIX = '.ndjson';

/** Headers never written in clear, whatever the route says. */
export const CAPTURE_SECRET_HEADERS: readonly string[] = ['authorization', 'proxy-authorization', 'cookie', 'set-cookie'];

export interface CaptureHeaderLine {
  type: 'header';
  format: typeof CAPTURE_FORMAT;
  version: number;
  /** When the recorder started; every record's `offsetMs` counts from here. */
  startedAt: string;
  segment: number;
}

/** What a replay needs of the recorded route to compare as the live mirror does. */
export interface CaptureRouteLine {
  type: 'route';
  name: string;
  endpoints: readonly string[];
  compare: { ignore: readonly string[]; unorderedArrays: readonly string[]; headers: readonly string[] };
  verdict: { minCompared: number; maxMismatchPercent: number };
  noise: { relativePercent: number; absolutePercent: number };
  maxBodyBytes: number;
  /** Masked before writing; a replay masks the candidate's responses the same way before comparing. */
  redact: { headers: readonly string[]; paths: readonly string[] };
}

export interface CapturedBody {
  /** utf8 text, or base64 when the bytes are not valid utf8. */
  text?: string;
  base64?: string;
}

export interface CaptureRecordLine {
  type: 'exchange';
  route: string;
  /** Milliseconds from the recorder's start to the request's arrival. */
  offsetMs: number;
  request: { method: string; url: string; headers: Record<string, string>; body: CapturedBody };
  primary: { status: number; headers: Record<string, string>; body: CapturedBody; ms: number };
}

export type CaptureLine = CaptureHeaderLine | CaptureRouteLine | CaptureRecordLine;

/** A capture line that cannot be read: the file is truncated, damaged or of another format. */
export class CaptureFormatError extends Error {}

export function encodeBody(body: Buffer): CapturedBody {
  if (body.length === 0) return {};
  const text = body.toString('utf8');
  return Buffer.byteLength(text) === body.length && !text.includes('\uFFFD') ? { text } : { base64: body.toString('base64') };
}

export function decodeBody(body: CapturedBody): Buffer {
  if (body.text !== undefined) return Buffer.from(body.text, 'utf8');
  if (body.base64 !== undefined) return Buffer.from(body.base64, 'base64');
  return Buffer.alloc(0);
}

/**
 * Masks what must never reach a capture file: secret headers (Authorization, Cookie, Set-Cookie,
 * Proxy-Authorization, the route's scrubHeaders and secret-looking names), secret-looking JSON
 * keys and query parameters, and the configured JSON paths. Bodies are decoded first (a gzip body
 * cannot be masked), so masked exchanges are stored decoded; a replay applies the same function
 * to the candidate's responses, so masking never shows up as a difference.
 */
export class CaptureRedactor {
  private readonly secrets: SecretRedactor;
  private readonly paths: PathPatternSet;

  constructor(readonly rules: { headers: readonly string[]; paths: readonly string[] }) {
    this.secrets = new SecretRedactor([...CAPTURE_SECRET_HEADERS, ...rules.headers]);
    this.paths = new PathPatternSet(rules.paths);
  }

  headers(headers: HeaderValues): Record<string, string> {
    return this.secrets.headersOf(headers);
  }

  url(url: string): string {
    return this.secrets.url(url);
  }

  /** A body as stored: decoded, and when it is JSON, masked by key name and configured paths. */
  body(headers: HeaderValues, body: Buffer): { body: Buffer; decoded: boolean } {
    const encoding = String(headers['content-encoding'] ?? 'identity')
      .toLowerCase()
      .trim();
    let bytes = body;
    let decoded = false;
    if (encoding !== 'identity' && encoding !== '' && body.length > 0) {
      try {
        bytes = decode(encoding, body);
        decoded = true;
      } catch {
        // Undecodable bytes cannot hold a readable secret the redactor could find either; stored as they came.
      }
    }
    if (!looksLikeJson(bytes)) return { body: bytes, decoded };
    let value: unknown;
    try {
      value = JSON.parse(bytes.toString('utf8'));
    } catch {
      return { body: Buffer.from(this.secrets.text(bytes.toString('utf8'))), decoded };
    }
    const masked = this.maskPaths(this.secrets.value(value), []);
    return { body: Buffer.from(JSON.stringify(masked)), decoded };
  }

  /** A response as it is stored, and as a replay prepares the candidate's before comparing. */
  response(response: CapturedResponse): { status: number; headers: Record<string, string>; body: Buffer } {
    const { body, decoded } = this.body(response.headers, response.body);
    const headers = this.headers(response.headers);
    if (decoded) {
      delete headers['content-encoding'];
      headers['content-length'] = String(body.length);
    }
    return { status: response.status, headers, body };
  }

  private maskPaths(value: unknown, path: PathSegment[]): unknown {
    if (this.paths.empty) return value;
    if (path.length > 0 && this.paths.matches(path)) return REDACTED;
    if (Array.isArray(value)) return value.map((item, index) => this.maskPaths(item, [...path, index]));
    if (value !== null && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(value as Record<string, unknown>)) out[key] = this.maskPaths(item, [...path, key]);
      return out;
    }
    return value;
  }
}

function decode(encoding: string, body: Buffer): Buffer {
  switch (encoding) {
    case 'gzip':
    case 'x-gzip':
      return gunzipSync(body);
    case 'deflate':
      try {
        return inflateSync(body);
      } catch {
        return inflateRawSync(body);
      }
    case 'br':
      return brotliDecompressSync(body);
    default:
      throw new Error(`unknown content-encoding ${encoding}`);
  }
}

function looksLikeJson(body: Buffer): boolean {
  for (const byte of body) {
    if (byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09) continue;
    return byte === 0x7b || byte === 0x5b;
  }
  return false;
}

export function captureHeaderLine(startedAt: Date, segment: number): CaptureHeaderLine {
  return { type: 'header', format: CAPTURE_FORMAT, version: CAPTURE_VERSION, startedAt: startedAt.toISOString(), segment };
}

/**
 * Parses one segment's text. A damaged line stops the segment there: what came before is returned
 * with `damage` saying where and why, so a partial capture stays replayable up to the damage.
 * A header of another format or version throws: nothing in such a file can be trusted.
 */
export function parseCaptureSegment(
  text: string,
  file: string,
): { header: CaptureHeaderLine; routes: CaptureRouteLine[]; records: CaptureRecordLine[]; damage?: string } {
  const lines = text.split('\n');
  const complete = text.endsWith('\n');
  if (!complete) lines[lines.length - 1] = lines[lines.length - 1] ?? '';
  const first = lines[0];
  let header: unknown;
  try {
    header = JSON.parse(first);
  } catch {
    throw new CaptureFormatError(`${file}: not a switchyard capture (the first line is not a ${CAPTURE_FORMAT} header)`);
  }
  const h = header as Partial<CaptureHeaderLine>;
  if (h?.type !== 'header' || h.format !== CAPTURE_FORMAT) throw new CaptureFormatError(`${file}: not a switchyard capture (no ${CAPTURE_FORMAT} header line)`);
  if (h.version !== CAPTURE_VERSION) {
    throw new CaptureFormatError(`${file}: capture format version ${String(h.version)}; this switchyard reads version ${CAPTURE_VERSION} only`);
  }
  if (lines.length === 1 && !complete) return { header: h as CaptureHeaderLine, routes: [], records: [], damage: `${file}:1: truncated header line` };
  const routes: CaptureRouteLine[] = [];
  const records: CaptureRecordLine[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    const last = i === lines.length - 1;
    if (last && complete) break;
    if (last && !complete) return { header: h as CaptureHeaderLine, routes, records, damage: `${file}:${i + 1}: truncated line (the file ends mid-record)` };
    let parsed: CaptureLine;
    try {
      parsed = JSON.parse(line) as CaptureLine;
    } catch {
      return { header: h as CaptureHeaderLine, routes, records, damage: `${file}:${i + 1}: damaged line (not JSON)` };
    }
    if (parsed.type === 'route') routes.push(parsed);
    else if (parsed.type === 'exchange' && typeof parsed.offsetMs === 'number' && parsed.request && parsed.primary) records.push(parsed);
    else return { header: h as CaptureHeaderLine, routes, records, damage: `${file}:${i + 1}: damaged line (not a capture record)` };
  }
  return { header: h as CaptureHeaderLine, routes, records };
}
