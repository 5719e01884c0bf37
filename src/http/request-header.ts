/**
 * @module http/request-header
 * Reads one request header without building a web `Headers` object. Under @hono/node-server,
 * `c.req.header()` and `c.req.raw.headers` turn Node's parsed headers into an undici `Headers` on first
 * use, once per request (a measurable share of the proxy's per-request CPU, see "Proxy overhead" in
 * bench/RESULTS.md); Node's own `IncomingMessage.headers` holds the same values already. Elsewhere
 * (`app.request()` in tests, another runtime) it falls back to the web request.
 */
import type { IncomingMessage } from 'node:http';
import type { Context } from 'hono';

/** What @hono/node-server puts in a Hono context's `env`. */
interface NodeBindings {
  incoming?: Pick<IncomingMessage, 'headers'>;
}

/** The header's value (repeated headers joined with ", ", as `Headers.get` does), or undefined. */
export function requestHeader(c: Context, name: string): string | undefined {
  const incoming = (c.env as NodeBindings | undefined)?.incoming;
  if (!incoming?.headers) return c.req.header(name);
  const value = incoming.headers[name.toLowerCase()];
  return Array.isArray(value) ? value.join(', ') : value;
}
