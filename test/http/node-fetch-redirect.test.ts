/**
 * @module test/http/node-fetch-redirect
 * Redirects through the cloud SDKs' fetch, against two real servers on different ports (two origins):
 * each redirect status's method and body rules, the credential headers kept on the same origin and
 * dropped across origins, the hop limit, the `manual` and `error` modes, and what a redirect without
 * Location or to another scheme gives.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNodeFetch } from '../../src/http/node-fetch.js';

interface Echo {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * `/echo` answers with the request it got; `/to?status=S&location=L` redirects with S to L;
 * `/hops/N` redirects to `/hops/N-1` down to `/hops/0`, which echoes; `/loop` redirects to itself;
 * `/hang` never answers.
 */
function startServer(): Promise<{
  server: Server;
  base: string;
  connections: () => number;
  hanging: () => number;
}> {
  let connections = 0;
  let hanging = 0;
  const server = createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => {
      body += chunk;
    });
    request.on('end', () => {
      const url = new URL(request.url ?? '/', 'http://server');
      const hops = /^\/hops\/(\d+)$/.exec(url.pathname);
      const redirect = (status: number, location: string | undefined) => {
        response.writeHead(status, location === undefined ? {} : { location });
        response.end(`redirect ${status}`);
      };
      if (url.pathname === '/to') {
        redirect(Number(url.searchParams.get('status')), url.searchParams.get('location') ?? undefined);
      } else if (url.pathname === '/hang') {
        hanging++;
      } else if (url.pathname === '/loop') {
        redirect(302, '/loop');
      } else if (hops && hops[1] !== '0') {
        redirect(301, `/hops/${Number(hops[1]) - 1}`);
      } else {
        const echo: Echo = {
          method: request.method ?? '',
          path: url.pathname,
          headers: request.headers,
          body,
        };
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify(echo));
      }
    });
  });
  server.on('connection', () => connections++);
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        server,
        base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        connections: () => connections,
        hanging: () => hanging,
      }),
    ),
  );
}

/** A URL on `base` that redirects with `status` to `location`. */
function redirecting(base: string, status: number, location: string): string {
  return `${base}/to?status=${status}&location=${encodeURIComponent(location)}`;
}

const credentials = {
  'x-api-key': 'anthropic-key',
  'x-goog-api-key': 'gemini-key',
  authorization: 'Bearer token',
  cookie: 'session=1',
};

describe('createNodeFetch redirects', () => {
  let origin: Awaited<ReturnType<typeof startServer>>;
  let other: Awaited<ReturnType<typeof startServer>>;
  const nodeFetch = createNodeFetch();

  beforeAll(async () => {
    [origin, other] = await Promise.all([startServer(), startServer()]);
  });

  afterAll(async () => {
    nodeFetch.close();
    await Promise.all(
      [origin.server, other.server].map((server) => new Promise((resolve) => server.close(resolve))),
    );
  });

  const post = (url: string, init: RequestInit = {}) =>
    nodeFetch.fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', ...credentials },
      body: '{"model":"claude","漢":"🦀"}',
      ...init,
    });

  it.each([301, 302, 303])('turns a POST answered with %i into a GET without the body', async (status) => {
    const response = await post(redirecting(origin.base, status, '/echo'));
    const echo = (await response.json()) as Echo;
    expect(echo).toMatchObject({ method: 'GET', path: '/echo', body: '' });
    expect(echo.headers['content-type']).toBeUndefined();
    expect(echo.headers['content-length']).toBeUndefined();
    expect(echo.headers['anthropic-version']).toBe('2023-06-01');
    expect(response.redirected).toBe(true);
    expect(response.url).toBe(`${origin.base}/echo`);
  });

  it.each([307, 308])('sends the same method, body and headers again after a %i', async (status) => {
    const response = await post(redirecting(origin.base, status, '/echo'));
    const echo = (await response.json()) as Echo;
    expect(echo).toMatchObject({ method: 'POST', body: '{"model":"claude","漢":"🦀"}' });
    expect(echo.headers).toMatchObject({
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength('{"model":"claude","漢":"🦀"}')),
      'x-api-key': 'anthropic-key',
    });
    expect(response.redirected).toBe(true);
  });

  it('resends a byte body after a 308', async () => {
    const bytes = new TextEncoder().encode('{"contents":[]}');
    const response = await post(redirecting(origin.base, 308, '/echo'), { body: bytes });
    expect(await response.json()).toMatchObject({ method: 'POST', body: '{"contents":[]}' });
  });

  it('keeps a GET a GET, and follows a relative Location (a trailing-slash redirect)', async () => {
    const response = await nodeFetch.fetch(redirecting(origin.base, 301, 'echo/'), {
      headers: new Headers(credentials),
    });
    const echo = (await response.json()) as Echo;
    expect(echo).toMatchObject({ method: 'GET', path: '/echo/' });
    expect(echo.headers).toMatchObject(credentials);
  });

  it('keeps the credentials on the same origin', async () => {
    const response = await post(redirecting(origin.base, 307, `${origin.base}/echo`));
    expect(((await response.json()) as Echo).headers).toMatchObject(credentials);
  });

  it.each([302, 307])('drops every credential header when a %i leaves the origin', async (status) => {
    const response = await post(redirecting(origin.base, status, `${other.base}/echo`));
    const echo = (await response.json()) as Echo;
    for (const name of Object.keys(credentials)) expect(echo.headers[name]).toBeUndefined();
    expect(echo.headers['anthropic-version']).toBe('2023-06-01');
    expect(response.url).toBe(`${other.base}/echo`);
  });

  it('drops them too for another host name on the same port (localhost vs 127.0.0.1)', async () => {
    const elsewhere = origin.base.replace('127.0.0.1', 'localhost');
    const response = await post(redirecting(origin.base, 308, `${elsewhere}/echo`));
    const echo = (await response.json()) as Echo;
    for (const name of Object.keys(credentials)) expect(echo.headers[name]).toBeUndefined();
  });

  it('does not send credentials back after a hop to another origin redirects home', async () => {
    const home = redirecting(other.base, 307, `${origin.base}/echo`);
    const response = await post(redirecting(origin.base, 307, home));
    const echo = (await response.json()) as Echo;
    expect(echo.path).toBe('/echo');
    for (const name of Object.keys(credentials)) expect(echo.headers[name]).toBeUndefined();
  });

  it('follows 20 redirects on one connection, and gives up on the 21st', async () => {
    // A pool of its own: no idle connection left by the other tests to hide a new one.
    const fresh = createNodeFetch();
    const before = origin.connections();
    try {
      const response = await fresh.fetch(`${origin.base}/hops/20`);
      expect(((await response.json()) as Echo).path).toBe('/hops/0');
      expect(origin.connections() - before).toBe(1);
    } finally {
      fresh.close();
    }

    const failure = await nodeFetch.fetch(`${origin.base}/hops/21`).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(TypeError);
    expect(failure).toMatchObject({
      message: 'fetch failed',
      cause: { code: 'ERR_TOO_MANY_REDIRECTS', message: expect.stringMatching(/more than 20 redirects/) },
    });
    await expect(nodeFetch.fetch(`${origin.base}/loop`)).rejects.toMatchObject({
      cause: { code: 'ERR_TOO_MANY_REDIRECTS' },
    });
  });

  it("returns the redirect itself with redirect: 'manual'", async () => {
    const response = await post(redirecting(origin.base, 307, '/echo'), { redirect: 'manual' });
    expect(response.status).toBe(307);
    expect(response.headers.get('location')).toBe('/echo');
    expect(response.redirected).toBe(false);
    expect(await response.text()).toBe('redirect 307');
  });

  it("rejects a redirect with redirect: 'error'", async () => {
    await expect(post(redirecting(origin.base, 301, '/echo'), { redirect: 'error' })).rejects.toMatchObject({
      name: 'TypeError',
      message: 'fetch failed',
      cause: { code: 'ERR_UNEXPECTED_REDIRECT' },
    });
  });

  it('answers with a redirect that has no Location as it is', async () => {
    const response = await nodeFetch.fetch(`${origin.base}/to?status=302`);
    expect(response.status).toBe(302);
    expect(response.redirected).toBe(false);
    expect(await response.text()).toBe('redirect 302');
  });

  it('rejects a redirect to a scheme other than http(s)', async () => {
    await expect(nodeFetch.fetch(redirecting(origin.base, 302, 'file:///etc/passwd'))).rejects.toMatchObject({
      name: 'TypeError',
      cause: { code: 'ERR_INVALID_REDIRECT', message: expect.stringContaining('file:') },
    });
  });

  it('rejects with the reason when the signal aborts while a later hop waits', async () => {
    const before = origin.hanging();
    const controller = new AbortController();
    const pending = nodeFetch.fetch(redirecting(origin.base, 307, '/hang'), {
      method: 'POST',
      body: '{}',
      signal: controller.signal,
    });
    await expect.poll(() => origin.hanging()).toBe(before + 1);
    controller.abort(new DOMException('client left', 'AbortError'));
    await expect(pending).rejects.toMatchObject({ name: 'AbortError', message: 'client left' });
  });

  it('marks a response that was not redirected as such', async () => {
    const response = await nodeFetch.fetch(`${origin.base}/echo`);
    expect(response.redirected).toBe(false);
    expect(response.url).toBe(`${origin.base}/echo`);
    await response.body?.cancel();
  });

  it('fails a stream body on a 307 with a TypeError: it cannot be sent twice (Node fetch, the fallback)', async () => {
    const body = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('{}'));
        controller.close();
      },
    });
    await expect(
      nodeFetch.fetch(redirecting(origin.base, 307, '/echo'), {
        method: 'POST',
        body,
        duplex: 'half',
      } as RequestInit),
    ).rejects.toBeInstanceOf(TypeError);
  });
});
