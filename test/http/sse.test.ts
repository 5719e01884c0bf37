/**
 * @module test/http/sse
 * The one SSE module, both ways. The parser must give the same events however the network chunks the
 * bytes: at every byte offset, inside a multi-byte UTF-8 character, and between the `\r` and `\n` of a
 * line ending.
 */
import { describe, expect, it } from 'vitest';
import { formatSseData, parseSseStream, type SseEvent, SseParser } from '../../src/http/sse.js';
import { type ChatCompletionChunk, ChunkEncoder } from '../../src/openai/chat-response.js';
import type { ChatEvent } from '../../src/providers/provider.js';

const bytes = (text: string) => new TextEncoder().encode(text);

/** Feeds `chunks` to a fresh parser and returns every event, `end()` included. */
function parseChunks(chunks: Array<Uint8Array | string>): SseEvent[] {
  const parser = new SseParser();
  const events: SseEvent[] = [];
  for (const chunk of chunks) events.push(...parser.push(chunk));
  events.push(...parser.end());
  return events;
}

/** Every way to cut `data` in two, and the one-byte-at-a-time split. */
function* splits(data: Uint8Array): Generator<Uint8Array[]> {
  for (let offset = 0; offset <= data.length; offset++) yield [data.slice(0, offset), data.slice(offset)];
  yield Array.from(data, (byte) => Uint8Array.of(byte));
}

const mixedStream = [
  ': keep-alive comment\n',
  'event: message_start\n',
  'data: {"type":"message_start"}\n',
  '\n',
  'id: 7\r\n',
  'data: first line\r\n',
  'data:second line without space\r\n',
  '\r\n',
  'event: ping\r',
  'data: 🦀 héllo 漢字 ✓\r',
  '\r',
  'data: [DONE]\n\n',
].join('');

const mixedEvents: SseEvent[] = [
  { event: 'message_start', data: '{"type":"message_start"}' },
  { event: 'message', data: 'first line\nsecond line without space', id: '7' },
  { event: 'ping', data: '🦀 héllo 漢字 ✓', id: '7' },
  { event: 'message', data: '[DONE]', id: '7' },
];

describe('SseParser', () => {
  it('parses a stream with mixed line endings, comments, names, ids and multi-line data', () => {
    expect(parseChunks([bytes(mixedStream)])).toEqual(mixedEvents);
  });

  it('gives the same events when the bytes are split at any offset (incl. inside UTF-8 and \\r\\n)', () => {
    const data = bytes(mixedStream);
    let cases = 0;
    for (const chunks of splits(data)) {
      expect(parseChunks(chunks)).toEqual(mixedEvents);
      cases++;
    }
    expect(cases).toBe(data.length + 2);
  });

  it('gives the same events split into three pieces at every pair of offsets', () => {
    const data = bytes('data: 🦀漢\r\n\r\ndata: b\r\rdata: c\n\n');
    const expected = [
      { event: 'message', data: '🦀漢' },
      { event: 'message', data: 'b' },
      { event: 'message', data: 'c' },
    ];
    for (let first = 0; first <= data.length; first++) {
      for (let second = first; second <= data.length; second++) {
        const chunks = [data.slice(0, first), data.slice(first, second), data.slice(second)];
        expect(parseChunks(chunks)).toEqual(expected);
      }
    }
  });

  it('decodes a 4-byte emoji and a 3-byte CJK character delivered one byte at a time', () => {
    const parser = new SseParser();
    const data = bytes('data: 🎉中\n\n');
    const events: SseEvent[] = [];
    for (const byte of data) events.push(...parser.push(Uint8Array.of(byte)));
    expect(events).toEqual([{ event: 'message', data: '🎉中' }]);
    expect(events[0]?.data).not.toContain('\uFFFD');
  });

  it('waits for the byte after a trailing \\r: \\r then \\n in the next chunk is one line ending', () => {
    const parser = new SseParser();
    expect(parser.push('data: a\r')).toEqual([]);
    // If the lone \r were taken as a line ending, this \n would be a second (blank) line and dispatch now;
    // it must not dispatch until the real blank line.
    expect(parser.push('\ndata: b\r')).toEqual([]);
    expect(parser.push('\n\r')).toEqual([]);
    expect(parser.push('\n')).toEqual([{ event: 'message', data: 'a\nb' }]);
  });

  it('treats a lone \\r as a line ending once the next byte is not \\n', () => {
    const parser = new SseParser();
    expect(parser.push('data: a\r')).toEqual([]);
    expect(parser.push('\rdata: b')).toEqual([{ event: 'message', data: 'a' }]);
    expect(parser.end()).toEqual([{ event: 'message', data: 'b' }]);
  });

  it('dispatches an event without its trailing blank line at end()', () => {
    expect(parseChunks(['data: {"done":true}'])).toEqual([{ event: 'message', data: '{"done":true}' }]);
    expect(parseChunks(['event: error\ndata: x\n'])).toEqual([{ event: 'error', data: 'x' }]);
    expect(parseChunks(['data: x\r'])).toEqual([{ event: 'message', data: 'x' }]);
  });

  it('does not dispatch events that have no data, and resets the event name after them', () => {
    expect(parseChunks(['event: ping\n\n', ': only a comment\n\n', 'data: after\n\n'])).toEqual([
      { event: 'message', data: 'after' },
    ]);
    expect(parseChunks(['event: ping\n\n\n'])).toEqual([]);
  });

  it('follows the field rules: one optional space stripped, no colon = empty value, unknown fields ignored', () => {
    expect(parseChunks(['data:  two spaces\n\n'])).toEqual([{ event: 'message', data: ' two spaces' }]);
    expect(parseChunks(['data\ndata: x\n\n'])).toEqual([{ event: 'message', data: '\nx' }]);
    expect(parseChunks(['retry: 100\nfoo: bar\ndata: a:b: c\n\n'])).toEqual([
      { event: 'message', data: 'a:b: c' },
    ]);
    expect(parseChunks(['data: \n\n'])).toEqual([{ event: 'message', data: '' }]);
  });

  it('returns the events each push completed, as they complete', () => {
    const parser = new SseParser();
    expect(parser.push('data: a\n\ndata: b\n')).toEqual([{ event: 'message', data: 'a' }]);
    expect(parser.push('\ndata: c\n\n')).toEqual([
      { event: 'message', data: 'b' },
      { event: 'message', data: 'c' },
    ]);
    expect(parser.end()).toEqual([]);
  });

  it('accepts already-decoded strings as well as bytes', () => {
    expect(parseChunks(['data: 漢', bytes('字\n\n')])).toEqual([{ event: 'message', data: '漢字' }]);
  });
});

describe('parseSseStream', () => {
  it('parses an async byte stream, including a final event without a blank line', async () => {
    async function* source() {
      yield bytes('data: ');
      const crab = bytes('🦀 ok\n\ndata: tail');
      yield crab.slice(0, 2);
      yield crab.slice(2);
    }
    const events: SseEvent[] = [];
    for await (const event of parseSseStream(source())) events.push(event);
    expect(events).toEqual([
      { event: 'message', data: '🦀 ok' },
      { event: 'message', data: 'tail' },
    ]);
  });
});

describe('formatSseData', () => {
  it('formats one data event ending in a blank line', () => {
    expect(formatSseData('{"a":"漢🦀"}')).toBe('data: {"a":"漢🦀"}\n\n');
    expect(formatSseData('[DONE]')).toBe('data: [DONE]\n\n');
  });

  it('round-trips OpenAI chunks through the parser at every split', () => {
    const encoder = new ChunkEncoder(
      { id: 'chatcmpl-1', created: 1_700_000_000, model: 'ollama/qwen' },
      true,
    );
    const events: ChatEvent[] = [
      { type: 'text-delta', text: 'Hello, 世界 👋' },
      { type: 'reasoning-delta', text: 'thinking\nacross lines' },
      { type: 'tool-call-start', index: 0, id: 'call_1', name: 'read_file' },
      { type: 'tool-call-delta', index: 0, argumentsDelta: '{"path":"a\\nb.ts"}' },
      { type: 'finish', finishReason: 'tool_calls', usage: { promptTokens: 12, completionTokens: 5 } },
    ];
    const chunks: ChatCompletionChunk[] = events.flatMap((event) => encoder.encode(event));
    const wire = Uint8Array.from([
      ...chunks.flatMap((chunk) => [...bytes(formatSseData(JSON.stringify(chunk)))]),
      ...bytes(formatSseData('[DONE]')),
    ]);
    const expected = [...chunks.map((chunk) => JSON.stringify(chunk)), '[DONE]'];
    for (const split of splits(wire)) {
      const parsed = parseChunks(split);
      expect(parsed.map((event) => event.data)).toEqual(expected);
      expect(parsed.every((event) => event.event === 'message')).toBe(true);
    }
    const decoded = expected.slice(0, -1).map((data) => JSON.parse(data) as ChatCompletionChunk);
    expect(decoded).toEqual(chunks);
  });
});
