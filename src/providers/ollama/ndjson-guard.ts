/**
 * @module providers/ollama/ndjson-guard
 * The official `ollama` client skips NDJSON lines it cannot parse (with a console warning), which would
 * turn a corrupted stream into a silently shorter answer. This wraps the response body so that a line
 * that is not a JSON object fails the stream instead. The check is structural (braces), not a second
 * JSON parse, to keep the hot path cheap.
 */

const newline = 0x0a;
const openBrace = 0x7b;
const closeBrace = 0x7d;

export class MalformedNdjsonError extends Error {
  constructor() {
    super('Ollama sent a malformed NDJSON line');
    this.name = 'MalformedNdjsonError';
  }
}

/** Returns a fetch that guards NDJSON response bodies. */
export function guardNdjsonResponses(baseFetch: typeof fetch): typeof fetch {
  return async (input, init) => {
    const response = await baseFetch(input, init);
    const type = response.headers.get('content-type') ?? '';
    if (!response.ok || !response.body || !type.includes('ndjson')) return response;
    return new Response(response.body.pipeThrough(createLineGuard()), {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
  };
}

function createLineGuard(): TransformStream<Uint8Array, Uint8Array> {
  // Track only the first and last non-blank byte of the current line, across chunk boundaries.
  let first = -1;
  let last = -1;
  const checkLine = () => {
    if (first !== -1 && (first !== openBrace || last !== closeBrace)) throw new MalformedNdjsonError();
    first = -1;
    last = -1;
  };
  return new TransformStream({
    transform(chunk, controller) {
      // Where the current line began in this chunk (0: in an earlier one).
      let lineStart = 0;
      for (let index = 0; index < chunk.length; index++) {
        const byte = chunk[index]!;
        if (byte === newline) {
          try {
            checkLine();
          } catch (error) {
            // The good lines before the bad one still go out: the reader is waiting (no backpressure
            // otherwise), so they reach it before the error does, and the answer fails where it broke.
            if (lineStart > 0) controller.enqueue(chunk.subarray(0, lineStart));
            throw error;
          }
          lineStart = index + 1;
        } else if (byte > 0x20) {
          if (first === -1) first = byte;
          last = byte;
        }
      }
      controller.enqueue(chunk);
    },
    flush() {
      checkLine();
    },
  });
}
