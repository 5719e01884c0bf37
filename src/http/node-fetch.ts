/**
 * @module http/node-fetch
 * A `fetch` for the cloud SDKs (Anthropic, Gemini) on the keep-alive `node:http` pool: the request goes
 * out without undici, and the answer is a native Fetch `Response` whose body is read from the socket as
 * the SDK pulls it. Redirects are followed as Node's fetch followed them (redirect.ts). Bodies other than
 * text or bytes, and inputs that are `Request` objects, go to the fetch it wraps. See http-pool.ts for why.
 */
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { connectionLost, createHttpPool, isSimpleBody } from './http-pool.js';
import { followRedirects, isRedirectStatus } from './redirect.js';

/**
 * The platform's Response, taken when this module loads: @hono/node-server later replaces the global with
 * a lightweight class that turns itself into a native one, at a cost, as soon as an SDK reads its body.
 */
const NativeResponse = globalThis.Response;

/** Statuses whose responses have no body by definition (Response refuses one for them). */
const nullBodyStatuses = new Set([101, 103, 204, 205, 304]);

export interface NodeFetch {
  fetch: typeof fetch;
  close(): void;
}

export function createNodeFetch(fallback: typeof fetch = globalThis.fetch): NodeFetch {
  const pool = createHttpPool();
  const nodeFetch: typeof fetch = async (input, init = {}) => {
    if (!(typeof input === 'string' || input instanceof URL) || !isSimpleBody(init.body)) {
      return fallback(input, init);
    }
    const url = String(input);
    const signal = init.signal ?? undefined;
    const incoming = await pool.send(url, init, signal);
    if (isRedirectStatus(incoming.statusCode)) {
      const outcome = await followRedirects(incoming, url, init, (next, nextInit) =>
        pool.send(next, nextInit, signal),
      );
      const response = responseOf(outcome.incoming, outcome.url, signal);
      if (outcome.redirected) Object.defineProperty(response, 'redirected', { value: true });
      return response;
    }
    return responseOf(incoming, url, signal);
  };
  return { fetch: nodeFetch, close: () => pool.close() };
}

function responseOf(incoming: IncomingMessage, url: string, signal: AbortSignal | undefined): Response {
  const status = incoming.statusCode ?? 0;
  const headers = new Headers();
  const raw = incoming.rawHeaders;
  for (let index = 0; index + 1 < raw.length; index += 2) headers.append(raw[index]!, raw[index + 1]!);
  if (nullBodyStatuses.has(status)) {
    incoming.resume();
    return withUrl(
      new NativeResponse(null, { status, statusText: incoming.statusMessage ?? '', headers }),
      url,
    );
  }
  // The SDKs send no Accept-Encoding (Node's fetch added one and decoded): decode as it did, should a
  // server compress anyway, and drop the headers that describe the encoded body.
  const decoded = decode(incoming, headers.get('content-encoding'));
  if (decoded !== incoming) {
    headers.delete('content-encoding');
    headers.delete('content-length');
  }
  const body = bodyStream(decoded, url, signal);
  return withUrl(
    new NativeResponse(body, { status, statusText: incoming.statusMessage ?? '', headers }),
    url,
  );
}

/** The SDKs put the URL in their error messages; a constructed Response has none of its own. */
function withUrl(response: Response, url: string): Response {
  Object.defineProperty(response, 'url', { value: url });
  return response;
}

function decode(incoming: IncomingMessage, encoding: string | null): Readable {
  const name = encoding?.trim().toLowerCase();
  const decoder =
    name === 'gzip' || name === 'x-gzip'
      ? createGunzip()
      : name === 'deflate'
        ? createInflate()
        : name === 'br'
          ? createBrotliDecompress()
          : undefined;
  if (!decoder) return incoming;
  // An error on either side destroys both, so the body stream sees it.
  return pipeline(incoming, decoder, () => undefined);
}

/**
 * The socket's body as a web stream, pulled: the socket is paused between reads, so a consumer that stops
 * reading stops the upstream too. Errors say whether the caller aborted or the connection dropped.
 */
function bodyStream(
  incoming: Readable,
  url: string,
  signal: AbortSignal | undefined,
): ReadableStream<Uint8Array> {
  // Set once the stream is closed, errored or cancelled: socket events after that must not touch it.
  let settled = false;
  const fail = (controller: ReadableStreamDefaultController<Uint8Array>, error: unknown) => {
    if (settled) return;
    settled = true;
    controller.error(signal?.aborted ? signal.reason : error);
  };
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        incoming.on('data', (chunk: Buffer) => {
          if (settled) return;
          controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
          if ((controller.desiredSize ?? 0) <= 0) incoming.pause();
        });
        incoming.once('end', () => {
          if (settled) return;
          settled = true;
          controller.close();
        });
        incoming.once('error', (error) => fail(controller, error));
        // After a normal end this is a no-op; the error (a stack trace to capture) is only built when needed.
        incoming.once('close', () => {
          if (!settled) fail(controller, connectionLost(url));
        });
      },
      pull() {
        if (incoming.isPaused()) incoming.resume();
      },
      cancel() {
        settled = true;
        incoming.destroy();
      },
    },
    { highWaterMark: 4 },
  );
}
