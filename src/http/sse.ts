/**
 * @module http/sse
 * Server-sent events, both ways, in one place: encoding what switchyard streams to clients and parsing
 * what upstreams stream to it. The parser is incremental and byte-safe: a multi-byte UTF-8 character
 * or an event may be split across network chunks anywhere.
 */

/** One `data:` event (the OpenAI streaming format uses no `event:` names). */
export function formatSseData(data: string): string {
  return `data: ${data}\n\n`;
}

/** A parsed server-sent event. `event` is `message` when the stream did not name it. */
export interface SseEvent {
  event: string;
  data: string;
  id?: string;
}

/**
 * Incremental SSE parser following the WHATWG rules that matter to LLM APIs: `\n`, `\r\n` and `\r`
 * line endings, multi-line `data:`, comments (`:`), and an optional space after the colon.
 */
export class SseParser {
  private readonly decoder = new TextDecoder('utf-8');
  private buffer = '';
  private eventName = '';
  private dataLines: string[] = [];
  private lastId: string | undefined;

  /** Feeds bytes (or already-decoded text) and returns the events they completed. */
  push(chunk: Uint8Array | string): SseEvent[] {
    this.buffer += typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true });
    return this.drainLines(false);
  }

  /** Ends the stream: a trailing event without its blank line is still dispatched, as browsers do not, but upstreams that forget it expect. */
  end(): SseEvent[] {
    this.buffer += this.decoder.decode();
    const events = this.drainLines(true);
    const last = this.dispatch();
    if (last) events.push(last);
    return events;
  }

  private drainLines(final: boolean): SseEvent[] {
    const events: SseEvent[] = [];
    for (;;) {
      const match = /\r\n|\r|\n/.exec(this.buffer);
      if (!match) break;
      // A lone `\r` at the end of the buffer may be the first half of `\r\n`: wait for more bytes.
      if (match[0] === '\r' && match.index === this.buffer.length - 1 && !final) break;
      const line = this.buffer.slice(0, match.index);
      this.buffer = this.buffer.slice(match.index + match[0].length);
      const event = this.processLine(line);
      if (event) events.push(event);
    }
    if (final && this.buffer.length > 0) {
      const event = this.processLine(this.buffer);
      this.buffer = '';
      if (event) events.push(event);
    }
    return events;
  }

  private processLine(line: string): SseEvent | undefined {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) return undefined;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') this.dataLines.push(value);
    else if (field === 'event') this.eventName = value;
    else if (field === 'id') this.lastId = value;
    return undefined;
  }

  private dispatch(): SseEvent | undefined {
    if (this.dataLines.length === 0) {
      this.eventName = '';
      return undefined;
    }
    const event: SseEvent = { event: this.eventName || 'message', data: this.dataLines.join('\n') };
    if (this.lastId !== undefined) event.id = this.lastId;
    this.eventName = '';
    this.dataLines = [];
    return event;
  }
}

/** Parses a byte stream into SSE events. */
export async function* parseSseStream(stream: AsyncIterable<Uint8Array>): AsyncGenerator<SseEvent> {
  const parser = new SseParser();
  for await (const chunk of stream) yield* parser.push(chunk);
  yield* parser.end();
}
