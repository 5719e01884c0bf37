/**
 * @module http/http-pool
 * Upstream HTTP exchanges on `node:http` / `node:https` with keep-alive pools, for the fetch functions
 * the provider SDKs are given (see node-fetch.ts and providers/ollama/http-transport.ts).
 *
 * Why not Node's own fetch (undici): on the proxy's hot path it cost a quarter or more of switchyard's
 * CPU per request (a `Request` object, the body sent as a stream, llhttp in wasm, web streams for the
 * answer, AbortSignal plumbing); see "Proxy overhead" in bench/RESULTS.md. And an abort here destroys the
 * socket at once, which the upstream sees as the client going away (Node's fetch loses that link once its
 * Request is garbage-collected, nodejs/undici#3644).
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { urlToHttpOptions } from 'node:url';

export interface HttpPool {
  /**
   * Sends one request and resolves with the response head. `signal` aborting destroys the exchange
   * (before or after the head); the listener is removed once the response closes.
   */
  send(url: string, init: RequestInit, signal: AbortSignal | undefined): Promise<IncomingMessage>;
  /** Closes the idle pooled connections. */
  close(): void;
}

/**
 * Idle pooled connections are closed after this long (or sooner, when the server's `Keep-Alive: timeout`
 * says so: Node's agent applies that hint only when it has a timeout of its own). Without it, a connection
 * the server has closed meanwhile is reused and the request fails. Node's fetch uses the same 4 s.
 */
const idleSocketTimeoutMs = 4000;

export function createHttpPool(): HttpPool {
  const httpAgent = new HttpAgent({ keepAlive: true, timeout: idleSocketTimeoutMs });
  const httpsAgent = new HttpsAgent({ keepAlive: true, timeout: idleSocketTimeoutMs });

  function send(url: string, init: RequestInit, signal: AbortSignal | undefined) {
    return new Promise<IncomingMessage>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const body = bodyOf(init.body);
      const headers = headersOf(init.headers);
      if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
      const secure = url.startsWith('https:');
      const request = (secure ? httpsRequest : httpRequest)({
        ...targetOf(url),
        method: init.method ?? 'GET',
        headers,
        agent: secure ? httpsAgent : httpAgent,
      });
      const onAbort = () => request.destroy(signal?.reason);
      signal?.addEventListener('abort', onAbort, { once: true });
      const detach = () => signal?.removeEventListener('abort', onAbort);
      request.once('error', (error) => {
        detach();
        if (signal?.aborted) return reject(signal.reason);
        // No retry on a reused connection that failed: the server may have received the request (a
        // generation is not idempotent). The idle timeout above is what keeps stale connections out.
        // The shape Node's fetch gave every failure before a response, which the adapters' error
        // classifiers (and the SDKs) recognise as "could not reach the server", whatever the cause:
        // refused, reset, DNS, TLS certificate, protocol.
        reject(new TypeError('fetch failed', { cause: error }));
      });
      request.once('response', (incoming) => {
        // `close` follows the end of the body, a dropped connection and an abort alike.
        incoming.once('close', detach);
        resolve(incoming);
      });
      request.end(body);
    });
  }

  return {
    send,
    close() {
      httpAgent.destroy();
      httpsAgent.destroy();
    },
  };
}

/**
 * The request options a URL stands for, as `http.request(url)` works them out, parsed once per URL: the
 * parse (a `new URL` and its conversion) was ~1 % of the proxy's CPU per request, and the upstream URLs
 * are few (a provider's endpoints). Bounded all the same: URLs that carry a model name or a query could
 * be many.
 */
const targets = new Map<string, ReturnType<typeof urlToHttpOptions>>();
const maxTargets = 256;

function targetOf(url: string): ReturnType<typeof urlToHttpOptions> {
  let target = targets.get(url);
  if (target === undefined) {
    if (targets.size >= maxTargets) targets.clear();
    target = urlToHttpOptions(new URL(url));
    targets.set(url, target);
  }
  return target;
}

/** Whether `send` can carry this body (the SDKs send JSON text; anything else goes to Node's fetch). */
export function isSimpleBody(body: RequestInit['body']): boolean {
  return body === undefined || body === null || typeof body === 'string' || body instanceof Uint8Array;
}

function bodyOf(body: RequestInit['body']): string | Uint8Array | undefined {
  if (typeof body === 'string' || body instanceof Uint8Array) return body;
  return undefined;
}

/** Request headers in any of the Fetch forms, as a plain record. */
function headersOf(headers: RequestInit['headers']): Record<string, string> {
  if (!headers) return {};
  const record: Record<string, string> = {};
  if (headers instanceof Headers) {
    headers.forEach((value, name) => {
      record[name] = value;
    });
    return record;
  }
  if (Array.isArray(headers)) return Object.fromEntries(headers);
  return { ...(headers as Record<string, string>) };
}

/**
 * A connection that closed before the answer ended, as an error the adapters classify as a cut stream.
 * Built only when it happens: the URL parse and the stack trace stay off the normal path.
 */
export function connectionLost(url: string): Error {
  const host = new URL(url).host;
  return Object.assign(new Error(`the connection to ${host} closed before the answer ended`), {
    code: 'ECONNRESET',
  });
}
