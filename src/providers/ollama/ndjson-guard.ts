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
    return new Response(guardedBody(response.body), {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
  };
}

/**
 * The body, checked line by line as it is read. A pull source rather than a TransformStream and
 * `pipeThrough`: one stream instead of three and a pipe, on every request.
 */
function guardedBody(body: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  const guard = createLineGuard();
  // Set when a chunk held a bad line: its good lines went out first, the error follows on the next read.
  let failure: MalformedNdjsonError | undefined;
  const fail = (error: MalformedNdjsonError): never => {
    reader.cancel(error).catch(() => undefined);
    throw error;
  };
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        if (failure) fail(failure);
        const { done, value } = await reader.read();
        if (done) {
          if (guard.endsInBadLine()) fail(new MalformedNdjsonError());
          controller.close();
          return;
        }
        const good = guard.check(value);
        if (good === value.length) {
          controller.enqueue(value);
          return;
        }
        failure = new MalformedNdjsonError();
        if (good > 0) controller.enqueue(value.subarray(0, good));
        else fail(failure);
      },
      cancel(reason) {
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
}

function createLineGuard() {
  // Track only the first and last non-blank byte of the current line, across chunk boundaries.
  let first = -1;
  let last = -1;
  const lineIsBad = () => first !== -1 && (first !== openBrace || last !== closeBrace);
  return {
    /** How many bytes of `chunk` are good: all of it, or up to the start of the first bad line. */
    check(chunk: Uint8Array): number {
      // Where the current line began in this chunk (0: in an earlier one).
      let lineStart = 0;
      for (let index = 0; index < chunk.length; index++) {
        const byte = chunk[index]!;
        if (byte === newline) {
          if (lineIsBad()) return lineStart;
          first = -1;
          last = -1;
          lineStart = index + 1;
        } else if (byte > 0x20) {
          if (first === -1) first = byte;
          last = byte;
        }
      }
      return chunk.length;
    },
    /** Whether the stream's last line, unterminated, is bad. */
    endsInBadLine: lineIsBad,
  };
}
