import { isUtf8 } from 'node:buffer';
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { brotliDecompress, gunzip, inflate, inflateRaw, type ZlibOptions } from 'node:zlib';
import { splitLines } from './text-diff';
import { formLeaves, markupLeaves, MAX_LEAVES, type Leaf } from './xml-leaves';

const gunzipAsync = promisify<Buffer, ZlibOptions, Buffer>(gunzip);
const inflateAsync = promisify<Buffer, ZlibOptions, Buffer>(inflate);
const inflateRawAsync = promisify<Buffer, ZlibOptions, Buffer>(inflateRaw);
const brotliAsync = promisify<Buffer, ZlibOptions, Buffer>(brotliDecompress);

export type HeaderValues = Record<string, string | string[] | number | undefined>;

/** A response as captured off the wire: the body still content-encoded. */
export interface CapturedResponse {
  status: number;
  headers: HeaderValues;
  body: Buffer;
}

/** How a non-JSON body is compared: by lines, by element/key paths, or (binary) by size and hash. */
export type BodyFormat = 'text' | 'html' | 'xml' | 'form' | 'binary';

/** A non-JSON body parsed once for comparison; absent when it was too big to diff (then by hash). */
export type BodyDocument = { format: 'text'; lines: string[] } | { format: 'html' | 'xml' | 'form'; leaves: Leaf[] };

export type PreparedBody =
  | { type: 'json'; value: unknown }
  | { type: 'bytes'; sha256: string; length: number; preview: string; format?: BodyFormat; document?: BodyDocument }
  | { type: 'undecodable'; reason: string; sha256: string; length: number };

/** A response ready to compare: headers flattened, body decoded and parsed once. */
export interface PreparedResponse {
  status: number;
  headers: Record<string, string>;
  body: PreparedBody;
}

export class BodyTooLargeError extends Error {}

const PREVIEW_CHARS = 512;

/** One header as compared: repeated values joined as HTTP would fold them. */
export function headerText(value: HeaderValues[string]): string | undefined {
  if (value === undefined) return undefined;
  return Array.isArray(value) ? value.join(', ') : String(value);
}

function flattenHeaders(headers: HeaderValues): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    const text = headerText(value);
    if (text !== undefined) out[name.toLowerCase()] = text;
  }
  return out;
}

function isJsonContentType(contentType: string | undefined): boolean {
  if (!contentType) return false;
  const type = contentType.split(';')[0].trim().toLowerCase();
  return type === 'application/json' || type.endsWith('+json') || type === 'text/json';
}

function looksLikeJson(body: Buffer): boolean {
  for (const byte of body) {
    if (byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09) continue;
    return byte === 0x7b || byte === 0x5b; // { or [
  }
  return false;
}

async function decode(body: Buffer, encoding: string, maxOutputLength: number): Promise<Buffer> {
  const options: ZlibOptions = { maxOutputLength };
  switch (encoding) {
    case '':
    case 'identity':
      return body;
    case 'gzip':
    case 'x-gzip':
      return gunzipAsync(body, options);
    case 'br':
      return brotliAsync(body, options);
    case 'deflate':
      // "deflate" is zlib-wrapped by the spec, yet some servers send raw deflate.
      return inflateAsync(body, options).catch(() => inflateRawAsync(body, options));
    default:
      throw new Error(`unsupported content-encoding "${encoding}"`);
  }
}

/**
 * Decodes (gzip, br, deflate — stacked encodings in reverse order) and parses a body once so it
 * can be compared against several others. Decoding is bounded: a decompression bomb past
 * `maxDecodedBytes` throws {@link BodyTooLargeError} and the exchange is skipped, not compared.
 */
export async function prepareResponse(captured: CapturedResponse, maxDecodedBytes: number): Promise<PreparedResponse> {
  const headers = flattenHeaders(captured.headers);
  const encodings = (headers['content-encoding'] ?? '')
    .split(',')
    .map((item) => item.trim().toLowerCase())
    .filter((item) => item !== '')
    .reverse();
  let body = captured.body;
  try {
    for (const encoding of encodings) body = await decode(body, encoding, maxDecodedBytes);
  } catch (error) {
    if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw new BodyTooLargeError(`decoded body exceeds ${maxDecodedBytes} bytes`);
    return {
      status: captured.status,
      headers,
      body: { type: 'undecodable', reason: (error as Error).message, sha256: sha256(captured.body), length: captured.body.length },
    };
  }
  return { status: captured.status, headers, body: parseBody(body, headers['content-type']) };
}

/** Lines past this are not diffed; the body is compared by hash. */
const MAX_LINES = MAX_LEAVES;

function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0].trim().toLowerCase();
}

/** The format a body is compared in, from its declared type, else from its first bytes. */
function formatOf(body: Buffer, contentType: string | undefined): BodyFormat {
  const type = mediaType(contentType);
  if (body.length > 0 && !isUtf8(body)) return 'binary';
  if (type === 'text/html' || type === 'application/xhtml+xml') return 'html';
  if (type === 'application/xml' || type === 'text/xml' || type.endsWith('+xml')) return 'xml';
  if (type === 'application/x-www-form-urlencoded') return 'form';
  if (type.startsWith('text/') || type === 'application/javascript' || type === 'application/x-ndjson' || type === 'application/yaml') return 'text';
  if (type !== '') return 'binary';
  const head = body.subarray(0, 64).toString('utf8').trimStart().toLowerCase();
  if (head.startsWith('<!doctype html') || head.startsWith('<html')) return 'html';
  if (head.startsWith('<?xml')) return 'xml';
  return body.includes(0) ? 'binary' : 'text';
}

function documentOf(format: BodyFormat, body: Buffer): BodyDocument | undefined {
  if (format === 'binary') return undefined;
  const text = body.toString('utf8');
  if (format === 'text') {
    const lines = splitLines(text);
    return lines.length > MAX_LINES ? undefined : { format, lines };
  }
  const leaves = format === 'form' ? formLeaves(text) : markupLeaves(text, format);
  return leaves ? { format, leaves } : undefined;
}

function parseBody(body: Buffer, contentType: string | undefined): PreparedBody {
  if (body.length > 0 && (isJsonContentType(contentType) || looksLikeJson(body))) {
    try {
      return { type: 'json', value: JSON.parse(body.toString('utf8')) as unknown };
    } catch {
      // Declared JSON that does not parse is compared by hash, and differs by type from real JSON.
    }
  }
  const format = formatOf(body, contentType);
  const document = documentOf(format, body);
  return {
    type: 'bytes',
    sha256: sha256(body),
    length: body.length,
    // Bytes that are not UTF-8 read as garbage; their size and hash say what there is to say.
    preview:
      format === 'binary' && !isUtf8(body)
        ? ''
        : body
            .subarray(0, PREVIEW_CHARS * 4)
            .toString('utf8')
            .slice(0, PREVIEW_CHARS),
    format,
    ...(document ? { document } : {}),
  };
}

function sha256(body: Buffer): string {
  return createHash('sha256').update(body).digest('hex');
}
