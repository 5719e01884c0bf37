/**
 * @module http/request-header
 * Reads one header without building a web `Headers` object. Under @hono/node-server,
 * `c.req.header()` and `c.req.raw.headers` turn Node's parsed headers into an undici `Headers` on first
 * use, once per request (a measurable share of the proxy's per-request CPU, see "Proxy overhead" in
 * bench/RESULTS.md); Node's own `IncomingMessage.headers` holds the same values already. Elsewhere
 * (`app.request()` in tests, another runtime) it falls back to the web request.
 */
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { Context } from 'hono';

/** What @hono/node-server puts in a Hono context's `env`. */
interface NodeBindings {
  incoming?: Pick<IncomingMessage, 'headers'>;
}

/** The header's value (repeated headers joined with ", ", as `Headers.get` does), or undefined. */
export function requestHeader(c: Context, name: string): string | undefined {
  const incoming = (c.env as NodeBindings | undefined)?.incoming;
  if (!incoming?.headers) return c.req.header(name);
  return headerValue(incoming.headers, name);
}

/** One header of a node:http message as `Headers.get` reads it: repeated values joined with ", ". */
export function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  return Array.isArray(value) ? value.join(', ') : value;
}
