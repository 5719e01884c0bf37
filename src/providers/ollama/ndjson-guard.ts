/**
 * @module providers/ollama/ndjson-guard
 * The official `ollama` client skips NDJSON lines it cannot parse (with a console warning), which would
 * turn a corrupted stream into a silently shorter answer. The transport (http-transport.ts) runs this
 * check on the body as it reads it, so that a line that is not a JSON object fails the stream instead.
 * The check is structural (braces), not a second JSON parse, to keep the hot path cheap.
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

/**
 * Checks a body line by line as its chunks arrive (lines may span chunks): `check` says how many bytes
 * of a chunk are good, all of it or up to the start of the first bad line.
 */
export function createLineGuard() {
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
