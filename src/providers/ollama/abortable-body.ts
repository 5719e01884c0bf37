/**
 * @module providers/ollama/abortable-body
 * Ties a streamed response body to an abort signal. Node's fetch links a signal to a running response
 * through its Request object, which it holds only weakly: once that object is garbage-collected the
 * signal no longer reaches the connection (nodejs/undici#3644), and Ollama goes on generating for a
 * client that has left. Cancelling the body ourselves always closes the connection. A pipe with a
 * `signal` is not enough: it waits for its pending write, which never settles when nobody reads.
 */

/** Returns a fetch whose response bodies are cancelled (and fail with the abort reason) when `signal` aborts. */
export function abortBodiesOn(baseFetch: typeof fetch, signal: AbortSignal): typeof fetch {
  return async (input, init) => {
    const response = await baseFetch(input, init);
    if (!response.body) return response;
    return new Response(abortableBody(response.body, signal), {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
  };
}

function abortableBody(body: ReadableStream<Uint8Array>, signal: AbortSignal): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  let onAbort: (() => void) | undefined;
  const detach = () => {
    if (onAbort) signal.removeEventListener('abort', onAbort);
    onAbort = undefined;
  };
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        onAbort = () => {
          detach();
          // Fail the reader first, so the cancel below cannot look like a normal end of the answer.
          controller.error(signal.reason);
          reader.cancel(signal.reason).catch(() => undefined);
        };
        if (signal.aborted) onAbort();
        else signal.addEventListener('abort', onAbort, { once: true });
      },
      async pull(controller) {
        try {
          const { done, value } = await reader.read();
          if (signal.aborted) return;
          if (done) {
            detach();
            controller.close();
          } else {
            controller.enqueue(value);
          }
        } catch (error) {
          if (signal.aborted) return;
          detach();
          controller.error(error);
        }
      },
      cancel(reason) {
        detach();
        return reader.cancel(reason);
      },
    },
    // One chunk of read-ahead, so that the end of the body is seen right after Ollama's last line. The
    // official client stops reading at the `"done": true` line: without read-ahead this stream never saw
    // the end nor removed its abort listener, and no answer's streams were ever freed (the live heap grew
    // by about 14 KB per request; see "Proxy overhead" in bench/RESULTS.md).
    { highWaterMark: 1 },
  );
}
