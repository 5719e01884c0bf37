/**
 * @module http/sse-response
 * Sends a server-sent event stream produced piece by piece. Under @hono/node-server the text goes
 * straight to Node's `ServerResponse` (a write per piece, backpressure through `drain`); elsewhere
 * (another runtime, or `app.request()` without a socket) it becomes a web `ReadableStream` body.
 *
 * Why write to Node directly: a web stream body costs a ReadableStream, a reader and two promises per
 * event, plus encoding every piece to bytes, all on the proxy's hot path (see "Proxy overhead" in
 * bench/RESULTS.md); Node's socket takes the strings as they are.
 */
import type { ServerResponse } from 'node:http';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import { asGatewayError, toErrorBody } from '../errors.js';

/** The stream's content, one piece at a time. */
export interface SseSource {
  /** The next piece of SSE text ('' when an upstream event produced none); undefined once it has ended. */
  next(): Promise<string | undefined>;
  /** The client went away: stop producing and release the upstream. */
  cancel(): void;
}

/** What @hono/node-server puts in a Hono context's `env`. */
interface NodeBindings {
  outgoing?: unknown;
}

/**
 * Starts sending `source` as the response and returns what the route returns to Hono: a marker that the
 * response is already being written, or a Response with a stream body.
 */
export function respondWithSse(
  env: unknown,
  headers: Record<string, string>,
  source: SseSource,
  onFailure: (error: unknown) => void,
): Response {
  const outgoing = (env as NodeBindings | undefined)?.outgoing;
  if (isServerResponse(outgoing) && alreadySentMarkerWorks) {
    writeToNode(outgoing, headers, source).catch((error: unknown) => {
      // Nothing thrown here may escape (an unhandled rejection ends the process): report it, and end the
      // response so the client sees a failure, not an answer that looks complete.
      onFailure(error);
      source.cancel();
      if (!outgoing.headersSent) {
        const failure = asGatewayError(error);
        // The request id goes with the failure too: it is how a user finds the request in the log.
        const requestId = headers['x-request-id'];
        outgoing.writeHead(failure.status, {
          'content-type': 'application/json',
          ...(requestId !== undefined ? { 'x-request-id': requestId } : {}),
        });
        outgoing.end(JSON.stringify(toErrorBody(failure)));
      } else {
        outgoing.destroy();
      }
    });
    return RESPONSE_ALREADY_SENT;
  }
  return new Response(readableOf(source), { status: 200, headers });
}

/**
 * @hono/node-server's marker must be a native Response: one built after the server replaced the global
 * Response with its lightweight class (its state under a `cache` symbol) would have its headers written
 * a second time. That only happens when the marker's module loads after a server started; then the
 * stream body is used instead.
 */
const alreadySentMarkerWorks = Object.getOwnPropertySymbols(RESPONSE_ALREADY_SENT).every(
  (symbol) => symbol.description !== 'cache',
);

function isServerResponse(value: unknown): value is ServerResponse {
  return typeof value === 'object' && value !== null && 'writeHead' in value && 'write' in value;
}

async function writeToNode(
  outgoing: ServerResponse,
  headers: Record<string, string>,
  source: SseSource,
): Promise<void> {
  let clientLeft = false;
  let wake: (() => void) | undefined;
  outgoing.once('close', () => {
    if (!outgoing.writableFinished) {
      clientLeft = true;
      source.cancel();
    }
    wake?.();
  });
  // Pieces produced within one tick (several upstream events read in one network chunk; the last
  // content, the usage chunk and [DONE]) leave in one write instead of one system call each.
  let corked = false;
  const uncork = () => {
    corked = false;
    outgoing.uncork();
  };
  // Anything thrown here (the source reports its own failures as SSE text) is handled by the caller.
  // The headers go out with the first piece, in one write.
  outgoing.writeHead(200, headers);
  for (;;) {
    const text = await source.next();
    if (text === undefined || clientLeft) break;
    if (text === '') continue;
    if (!corked) {
      corked = true;
      outgoing.cork();
      process.nextTick(uncork);
    }
    if (outgoing.write(text)) continue;
    // The client reads slower than the upstream answers: wait, so the upstream is read no faster.
    await new Promise<void>((resolve) => {
      wake = resolve;
      outgoing.once('drain', resolve);
    });
    if (wake) outgoing.removeListener('drain', wake);
    wake = undefined;
  }
  if (!clientLeft) outgoing.end();
}

function readableOf(source: SseSource): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        for (;;) {
          const text = await source.next();
          if (text === undefined) return controller.close();
          if (text !== '') return controller.enqueue(encoder.encode(text));
        }
      },
      cancel() {
        source.cancel();
      },
    },
    { highWaterMark: 0 },
  );
}
