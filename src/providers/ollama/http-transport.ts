/**
 * @module providers/ollama/http-transport
 * The fetch the official `ollama` client is given: one exchange on the keep-alive `node:http` pool
 * (http/http-pool.ts, which says why not Node's fetch), answering with the small part of the Fetch
 * `Response` the client reads (`ok`, `status`, `headers.get`, `json()`, `text()`, `body.getReader()`),
 * without web streams. Reading the body also does two jobs that used to need a wrapper stream each:
 * - an abort fails the read with its reason at once (the pool destroys the socket);
 * - a line that is not a JSON object fails the read after the good lines before it, because the official
 *   client would skip it with a console warning and return a silently shorter answer.
 */
import type { IncomingMessage } from 'node:http';
import { connectionLost, createHttpPool } from '../../http/http-pool.js';
import { isRedirectStatus, unexpectedRedirect } from '../../http/redirect.js';
import { headerValue } from '../../http/request-header.js';
import { createLineGuard, MalformedNdjsonError } from './ndjson-guard.js';

type ReadResult = { done: false; value: Uint8Array } | { done: true; value: undefined };

/** Read chunks held for a consumer that is slower than Ollama before the socket is paused. */
const maxQueuedChunks = 64;

export interface OllamaTransport {
  /** A fetch whose exchanges end (and whose bodies fail with the reason) when `signal` aborts. */
  fetchWith(signal?: AbortSignal): typeof fetch;
  /** Closes the idle pooled connections. */
  close(): void;
}

export function createOllamaTransport(): OllamaTransport {
  const pool = createHttpPool();
  const fetchWith =
    (signal?: AbortSignal): typeof fetch =>
    async (input, init) => {
      const url = String(input);
      const incoming = await pool.send(url, init ?? {}, signal);
      // Ollama's API never redirects: a redirect means OLLAMA_HOST points at something else (a proxy,
      // a login page). It fails as a connection failure, as it did with Node's fetch and redirect:
      // 'error' before, which the adapter reports as "not reachable, set OLLAMA_HOST", rather than as
      // Ollama failing with a 3xx and the redirect page's text.
      if (isRedirectStatus(incoming.statusCode)) {
        incoming.resume();
        throw unexpectedRedirect(url, incoming);
      }
      return responseOf(incoming, url, signal);
    };
  return { fetchWith, close: () => pool.close() };
}

/** The part of a Fetch Response the official client uses, over a node:http response. */
function responseOf(incoming: IncomingMessage, url: string, signal: AbortSignal | undefined): Response {
  const status = incoming.statusCode ?? 0;
  const contentType = String(incoming.headers['content-type'] ?? '');
  const reader = new BodyReader(incoming, signal, contentType.includes('ndjson'), url);
  const readText = async (): Promise<string> => {
    const chunks: Uint8Array[] = [];
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return Buffer.concat(chunks).toString('utf8');
      chunks.push(value);
    }
  };
  const response = {
    ok: status >= 200 && status < 300,
    status,
    statusText: incoming.statusMessage ?? '',
    headers: {
      get: (name: string): string | null => headerValue(incoming.headers, name) ?? null,
    },
    body: { getReader: () => reader },
    text: readText,
    json: async (): Promise<unknown> => JSON.parse(await readText()),
  };
  return response as unknown as Response;
}

/**
 * Reads a node:http response as a web stream reader would (`read()` → `{done, value}`), without a web
 * stream: chunks flow into a small queue, the socket pauses when the consumer falls far behind.
 */
class BodyReader {
  private readonly queue: Uint8Array[] = [];
  private ended = false;
  private failure: unknown;
  private waiting: { resolve: (result: ReadResult) => void; reject: (error: unknown) => void } | undefined;
  private readonly guard: ReturnType<typeof createLineGuard> | undefined;

  constructor(
    private readonly incoming: IncomingMessage,
    private readonly signal: AbortSignal | undefined,
    checkLines: boolean,
    private readonly url: string,
  ) {
    this.guard = checkLines ? createLineGuard() : undefined;
    incoming.on('data', (chunk: Buffer) => this.accept(chunk));
    incoming.once('end', () => {
      if (this.guard?.endsInBadLine()) return this.fail(new MalformedNdjsonError());
      this.ended = true;
      this.settle();
    });
    // `close` without `end`: the connection dropped mid-answer (or the abort destroyed it).
    incoming.once('close', () => {
      if (!this.ended) this.fail(this.signal?.aborted ? this.signal.reason : connectionLost(this.url));
    });
    incoming.once('error', (error) => this.fail(this.signal?.aborted ? this.signal.reason : error));
  }

  read(): Promise<ReadResult> {
    const value = this.queue.shift();
    if (value) {
      if (this.queue.length < maxQueuedChunks && this.incoming.isPaused()) this.incoming.resume();
      return Promise.resolve({ done: false, value });
    }
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (this.ended) return Promise.resolve({ done: true, value: undefined });
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
    });
  }

  releaseLock(): void {}

  cancel(reason?: unknown): Promise<void> {
    this.fail(reason ?? new Error('cancelled'));
    this.incoming.destroy();
    return Promise.resolve();
  }

  private accept(chunk: Buffer): void {
    if (this.failure !== undefined || this.ended) return;
    if (this.guard) {
      const good = this.guard.check(chunk);
      if (good < chunk.length) {
        if (good > 0) this.push(chunk.subarray(0, good));
        this.fail(new MalformedNdjsonError());
        this.incoming.destroy();
        return;
      }
    }
    this.push(chunk);
  }

  private push(chunk: Uint8Array): void {
    const waiting = this.waiting;
    if (waiting) {
      this.waiting = undefined;
      waiting.resolve({ done: false, value: chunk });
      return;
    }
    this.queue.push(chunk);
    if (this.queue.length >= maxQueuedChunks) this.incoming.pause();
  }

  /**
   * The read error comes after the chunks already queued (the good lines before a bad one), except for
   * an abort: nothing more is read for a caller that has given up.
   */
  private fail(error: unknown): void {
    if (this.failure !== undefined || this.ended) return;
    this.failure = error;
    if (this.signal?.aborted) this.queue.length = 0;
    this.settle();
  }

  private settle(): void {
    const waiting = this.waiting;
    if (!waiting) return;
    this.waiting = undefined;
    if (this.failure !== undefined) waiting.reject(this.failure);
    else waiting.resolve({ done: true, value: undefined });
  }
}
