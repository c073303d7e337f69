/** One dispatched Server-Sent Event. `id` is the event's own id field, if it had one. */
export interface SseEvent {
  event: string;
  data: string;
  id: string | undefined;
}

export interface SseHandlers {
  event(event: SseEvent): void;
  /** A comment line such as the server's `: ping` heartbeat. */
  comment?(text: string): void;
  /** The server's `retry:` advice in milliseconds. */
  retry?(ms: number): void;
  /** A line grew past the limit without ending; the parser has dropped it and reset. */
  overflow?(length: number): void;
}

/** Far above any snapshot (10,000 flags are about 3 MB); a line this long is a broken stream. */
export const MAX_LINE_LENGTH = 128 * 1024 * 1024;

/**
 * An incremental parser for the text/event-stream format (WHATWG HTML, "Server-sent events"),
 * fed with decoded text in chunks that may split lines, CR LF pairs or fields anywhere.
 *
 * Hand-written rather than a dependency: the SDK keeps its runtime dependencies at zero, and the
 * format is small. Events are dispatched on a blank line; an event with an empty data buffer is
 * dropped, as the spec requires.
 */
export class SseParser {
  private buffer = '';
  private eventType = '';
  private data = '';
  private hasData = false;
  private id: string | undefined;
  private lastEventId: string | undefined;
  private sawCr = false;
  private first = true;

  constructor(
    private readonly handlers: SseHandlers,
    private readonly maxLineLength = MAX_LINE_LENGTH,
  ) {}

  /** The last event id seen on the stream (persists across events, per the spec). */
  get lastId(): string | undefined {
    return this.lastEventId;
  }

  feed(chunk: string): void {
    if (chunk.length === 0) return;
    let text = chunk;
    if (this.first) {
      this.first = false;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    // A CR that ended the previous chunk may be the first half of a CR LF pair.
    if (this.sawCr) {
      this.sawCr = false;
      if (text.charCodeAt(0) === 10) text = text.slice(1);
    }
    let start = 0;
    const buffered = this.buffer;
    this.buffer = '';
    let carry = buffered;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c !== 10 && c !== 13) continue;
      const line = carry.length === 0 ? text.slice(start, i) : carry + text.slice(start, i);
      carry = '';
      if (c === 13) {
        if (i + 1 < text.length) {
          if (text.charCodeAt(i + 1) === 10) i++;
        } else {
          this.sawCr = true;
        }
      }
      start = i + 1;
      this.line(line);
    }
    this.buffer = carry + text.slice(start);
    if (this.buffer.length > this.maxLineLength) {
      const length = this.buffer.length;
      this.reset();
      this.handlers.overflow?.(length);
    }
  }

  /** Forgets a partial event, e.g. when the connection drops in the middle of one. */
  reset(): void {
    this.buffer = '';
    this.eventType = '';
    this.data = '';
    this.hasData = false;
    this.id = undefined;
    this.sawCr = false;
    this.first = true;
  }

  private line(line: string): void {
    if (line.length === 0) {
      this.dispatch();
      return;
    }
    if (line.charCodeAt(0) === 58 /* ':' */) {
      this.handlers.comment?.(line.charCodeAt(1) === 32 ? line.slice(2) : line.slice(1));
      return;
    }
    const colon = line.indexOf(':');
    let field: string;
    let value: string;
    if (colon < 0) {
      field = line;
      value = '';
    } else {
      field = line.slice(0, colon);
      value = line.charCodeAt(colon + 1) === 32 ? line.slice(colon + 2) : line.slice(colon + 1);
    }
    switch (field) {
      case 'event':
        this.eventType = value;
        break;
      case 'data':
        this.data = this.hasData ? `${this.data}\n${value}` : value;
        this.hasData = true;
        break;
      case 'id':
        // An id containing NUL is ignored by the spec.
        if (!value.includes('\0')) this.id = value;
        break;
      case 'retry':
        if (/^\d+$/.test(value)) this.handlers.retry?.(Number(value));
        break;
      default:
        break;
    }
  }

  private dispatch(): void {
    if (this.id !== undefined) this.lastEventId = this.id;
    const id = this.id;
    this.id = undefined;
    if (!this.hasData) {
      this.eventType = '';
      return;
    }
    const event: SseEvent = { event: this.eventType === '' ? 'message' : this.eventType, data: this.data, id };
    this.eventType = '';
    this.data = '';
    this.hasData = false;
    this.handlers.event(event);
  }
}
