/**
 * @module test/providers/ollama-redirect
 * Ollama's API never redirects, so a redirect from OLLAMA_HOST (a proxy, a login page) is not followed:
 * the official client's call fails as a connection failure that names the redirect, as it did with Node's
 * fetch and `redirect: 'error'`, and the adapter reports Ollama as not reachable at that host.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Ollama } from 'ollama';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayError } from '../../src/errors.js';
import { fromOllamaError } from '../../src/providers/ollama/errors.js';
import { createOllamaTransport } from '../../src/providers/ollama/http-transport.js';

describe('the Ollama transport and a redirect', () => {
  let server: Server;
  let host: string;
  let requests = 0;
  const transport = createOllamaTransport();

  beforeAll(async () => {
    server = createServer((request, response) => {
      requests++;
      request.resume();
      response.writeHead(301, { location: '/login', 'content-type': 'text/html' });
      response.end('<html>moved</html>');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    host = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    transport.close();
    await new Promise((resolve) => server.close(resolve));
  });

  it('is not followed, and fails as a connection failure that names it', async () => {
    const client = new Ollama({ host, fetch: transport.fetchWith() });
    const failure = await client.list().catch((error: unknown) => error);
    expect(requests).toBe(1);
    expect(failure).toMatchObject({
      name: 'TypeError',
      message: 'fetch failed',
      cause: {
        code: 'ERR_UNEXPECTED_REDIRECT',
        message: expect.stringContaining('301 with a redirect to /login'),
      },
    });
    const reported = fromOllamaError(failure, { host, model: 'qwen2.5-coder:7b', started: false });
    expect(reported).toMatchObject({ kind: 'unreachable' });
    expect((reported as GatewayError).message).toContain('OLLAMA_HOST');
  });
});
