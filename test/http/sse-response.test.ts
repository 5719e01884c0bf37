/**
 * @module test/http/sse-response
 * `respondWithSse` under @hono/node-server (written straight to the socket: content, headers, pieces
 * that are empty, backpressure from a client that does not read, the source cancelled when the client
 * leaves) and elsewhere (a web stream body).
 */
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { afterEach, describe, expect, it } from 'vitest';
import { respondWithSse, type SseSource } from '../../src/http/sse-response.js';

/** A source of `pieces`, recording how far it was read and whether it was cancelled. */
function sourceOf(pieces: string[], gate?: Promise<void>) {
  const state = { produced: 0, cancelled: false };
  const source: SseSource = {
    async next() {
      if (state.produced === 1 && gate) await gate;
      if (state.cancelled || state.produced >= pieces.length) return undefined;
      return pieces[state.produced++];
    },
    cancel() {
      state.cancelled = true;
    },
  };
  return { source, state };
}

let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await close?.();
  close = undefined;
});

async function serveSource(source: SseSource): Promise<string> {
  const app = new Hono();
  app.get('/events', (c) =>
    respondWithSse(c.env, { 'content-type': 'text/event-stream', 'x-test': 'yes' }, source),
  );
  const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise((resolve) => server.once('listening', resolve));
  close = () =>
    new Promise((resolve) => {
      server.close(() => resolve());
      (server as import('node:http').Server).closeAllConnections();
    });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/events`;
}

describe('respondWithSse', () => {
  it('writes the pieces to the Node response in order, skipping empty ones, with the headers', async () => {
    const { source } = sourceOf(['data: 1\n\n', '', 'data: 漢🦀\n\n', 'data: [DONE]\n\n']);
    const response = await fetch(await serveSource(source));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    expect(response.headers.get('x-test')).toBe('yes');
    expect(response.headers.has('x-hono-already-sent')).toBe(false);
    expect(await response.text()).toBe('data: 1\n\ndata: 漢🦀\n\ndata: [DONE]\n\n');
  });

  it('stops reading the source while the client does not read, and cancels it when the client leaves', async () => {
    const big = `data: ${'x'.repeat(256 * 1024)}\n\n`;
    const { source, state } = sourceOf(Array.from({ length: 400 }, () => big));
    const url = await serveSource(source);
    const request = httpRequest(url);
    const response = await new Promise<import('node:http').IncomingMessage>((resolve) => {
      request.once('response', resolve);
      request.end();
    });
    response.pause();
    // With nobody reading, the socket buffers fill and the writer waits for `drain`: far from all 100 MB.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const producedWhilePaused = state.produced;
    expect(producedWhilePaused).toBeLessThan(100);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(state.produced).toBe(producedWhilePaused);
    request.destroy();
    await expect.poll(() => state.cancelled).toBe(true);
  });

  it('cancels the source when the client leaves while it waits on the upstream', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const { source, state } = sourceOf(['data: 1\n\n', 'data: 2\n\n'], gate);
    const url = await serveSource(source);
    const controller = new AbortController();
    const response = await fetch(url, { signal: controller.signal });
    const reader = response.body!.getReader();
    await reader.read();
    controller.abort();
    await expect.poll(() => state.cancelled).toBe(true);
    release();
  });

  it('returns a web stream body when there is no Node response', async () => {
    const { source } = sourceOf(['data: 1\n\n', '', 'data: [DONE]\n\n']);
    const response = respondWithSse(undefined, { 'content-type': 'text/event-stream' }, source);
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    expect(await response.text()).toBe('data: 1\n\ndata: [DONE]\n\n');
  });
});
