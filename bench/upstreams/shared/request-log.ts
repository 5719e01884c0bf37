/**
 * @module The simulators' memory of what they received, so tests can assert the exact outgoing request
 * of an adapter (path, headers, body) without a network capture; API keys are redacted on the way in.
 */
import type { IncomingHttpHeaders } from 'node:http';

/** One received request as a test sees it. */
export interface RecordedRequest {
  readonly method: string;
  /** Path and query, with any `key=` query parameter redacted. */
  readonly path: string;
  /** Lower-case header names; credentials replaced by `REDACTED`. */
  readonly headers: Readonly<Record<string, string>>;
  /** The parsed JSON body, the raw text when it is not JSON, or `null` when empty. */
  readonly body: unknown;
}

const SECRET_HEADERS = new Set(['x-api-key', 'x-goog-api-key', 'authorization']);
const LIMIT = 200;

export class RequestLog {
  readonly #entries: RecordedRequest[] = [];

  get entries(): ReadonlyArray<RecordedRequest> {
    return this.#entries;
  }

  record(method: string, path: string, headers: IncomingHttpHeaders, body: unknown): void {
    this.#entries.push({ method, path: redactPath(path), headers: redactHeaders(headers), body });
    if (this.#entries.length > LIMIT) this.#entries.splice(0, this.#entries.length - LIMIT);
  }

  clear(): void {
    this.#entries.length = 0;
  }
}

function redactHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    result[name] = SECRET_HEADERS.has(name) ? 'REDACTED' : Array.isArray(value) ? value.join(', ') : value;
  }
  return result;
}

function redactPath(path: string): string {
  return path.replace(/([?&]key=)[^&]*/g, '$1REDACTED');
}
