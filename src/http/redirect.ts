/**
 * @module http/redirect
 * Redirects for node-fetch.ts, followed as Node's fetch followed them for the SDKs before (the Fetch
 * standard's "HTTP-redirect fetch"), so that a base URL behind an http→https or trailing-slash redirect
 * keeps working: at most 20 hops; 303 (and 301/302 after a POST) turn into a body-less GET; 307/308 send
 * the same method and body again. One deliberate difference: when a redirect leaves the origin, the API
 * keys the SDKs send (`x-api-key`, `x-goog-api-key`) are dropped along with `authorization` and cookies,
 * where Node's fetch dropped only the standard credential headers and sent the keys on to any host; and
 * an upgrade to https on the same host name keeps them all (see keepsCredentials).
 */
import type { IncomingMessage } from 'node:http';

/** Node's fetch (and the Fetch standard) give up after this many redirects. */
const maxRedirects = 20;

/** Headers that carry credentials: never sent on to another origin. */
const credentialHeaders = [
  'authorization',
  'proxy-authorization',
  'cookie',
  'x-api-key',
  'x-goog-api-key',
  // Names the first host; the new one is taken from the URL.
  'host',
];

/** Headers that describe a body: dropped with the body when a redirect turns the request into a GET. */
const bodyHeaders = [
  'content-encoding',
  'content-language',
  'content-location',
  'content-type',
  'content-length',
  'transfer-encoding',
];

/** Whether the Fetch standard treats `status` as a redirect. The one check every response pays. */
export function isRedirectStatus(status: number | undefined): boolean {
  return status === 301 || status === 302 || status === 303 || status === 307 || status === 308;
}

/** Sends one hop. */
export type SendHop = (url: string, init: RequestInit) => Promise<IncomingMessage>;

export interface RedirectOutcome {
  /** The answer: not a redirect, or a redirect that is returned as it is (`manual`, or no Location). */
  incoming: IncomingMessage;
  /** The URL that answered it. */
  url: string;
  redirected: boolean;
}

/**
 * Follows `first` (a redirect response to `init` sent to `url`) per `init.redirect`: `follow` (the
 * default) sends the next hop, `manual` returns the redirect itself, `error` rejects. Bodies are strings
 * or bytes here (node-fetch.ts hands streams to Node's fetch), so a 307/308 can always send them again.
 * Failures have the shape of Node's fetch: `TypeError('fetch failed')` with the reason as `cause`.
 */
export async function followRedirects(
  first: IncomingMessage,
  url: string,
  init: RequestInit,
  send: SendHop,
): Promise<RedirectOutcome> {
  const mode = init.redirect ?? 'follow';
  let incoming = first;
  let current = { url, init };
  let hops = 0;
  while (mode !== 'manual' && isRedirectStatus(incoming.statusCode)) {
    let next: { url: string; init: RequestInit } | undefined;
    try {
      next = nextHop(incoming, current.url, current.init, mode, hops);
    } catch (error) {
      incoming.resume();
      throw error;
    }
    // Without a Location there is nowhere to go: the redirect response is the answer (as in fetch).
    if (!next) break;
    await discard(incoming);
    hops++;
    current = next;
    incoming = await send(current.url, current.init);
  }
  return { incoming, url: current.url, redirected: hops > 0 };
}

/**
 * Reads a redirect's unwanted body to its end: its connection is back in the pool by then, so a hop to
 * the same host reuses it instead of opening another (a TLS handshake saved on https). `close` comes
 * after the end, and also when the connection drops or the caller's signal aborts the exchange.
 */
function discard(incoming: IncomingMessage): Promise<void> {
  return new Promise((resolve) => {
    incoming.once('close', resolve);
    incoming.resume();
  });
}

function nextHop(
  incoming: IncomingMessage,
  url: string,
  init: RequestInit,
  mode: NonNullable<RequestInit['redirect']>,
  hops: number,
): { url: string; init: RequestInit } | undefined {
  const status = incoming.statusCode!;
  if (mode === 'error') throw unexpectedRedirect(url, incoming);
  const location = incoming.headers.location;
  if (location === undefined) return undefined;
  const target = parseLocation(location, url);
  if (hops >= maxRedirects) {
    throw failure(
      `more than ${maxRedirects} redirects from ${url} (a redirect loop?) — set the base URL to the address that answers`,
      'ERR_TOO_MANY_REDIRECTS',
    );
  }
  const headers = new Headers(init.headers);
  const method = (init.method ?? 'GET').toUpperCase();
  const next: RequestInit = { ...init, headers };
  if (
    (status === 303 && method !== 'GET' && method !== 'HEAD') ||
    ((status === 301 || status === 302) && method === 'POST')
  ) {
    next.method = 'GET';
    next.body = null;
    for (const name of bodyHeaders) headers.delete(name);
  }
  if (!keepsCredentials(new URL(url), target)) {
    for (const name of credentialHeaders) headers.delete(name);
  }
  return { url: target.href, init: next };
}

/** The rejection for a redirect that is not to be followed (`redirect: 'error'`, Ollama's transport). */
export function unexpectedRedirect(url: string, incoming: IncomingMessage): TypeError {
  const location = incoming.headers.location;
  return failure(
    `${url} answered ${incoming.statusCode} with a redirect${location === undefined ? '' : ` to ${location}`}, which is not followed here — set the base URL to the address that answers`,
    'ERR_UNEXPECTED_REDIRECT',
  );
}

function parseLocation(location: string, base: string): URL {
  let target: URL;
  try {
    target = new URL(location, base);
  } catch (cause) {
    throw failure(
      `${base} redirected to "${location}", which is not a URL — set the base URL to the address that answers`,
      'ERR_INVALID_REDIRECT',
      cause,
    );
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:') {
    throw failure(
      `${base} redirected to ${target.protocol} (only http: and https: can be followed) — set the base URL to the address that answers`,
      'ERR_INVALID_REDIRECT',
    );
  }
  return target;
}

/**
 * Credentials go on only to the same origin, as the Fetch standard has it for `authorization`, with one
 * addition: an upgrade from http to https on the same host name and the default ports (80 to 443) keeps
 * them. That host already received them in clear text, so TLS shows them to no one new, and an
 * http→https redirect is the common case this module exists for (dropping the key there would turn it
 * into a 401). Another port may be another service, so it gets nothing.
 */
function keepsCredentials(from: URL, to: URL): boolean {
  if (from.origin === to.origin) return true;
  return (
    from.protocol === 'http:' &&
    to.protocol === 'https:' &&
    from.hostname === to.hostname &&
    from.port === '' &&
    to.port === ''
  );
}

/** The rejection Node's fetch gives for a failed redirect, with a cause that says what to change. */
function failure(message: string, code: string, cause?: unknown): TypeError {
  const reason = Object.assign(new Error(message, cause === undefined ? undefined : { cause }), { code });
  return new TypeError('fetch failed', { cause: reason });
}
