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

const failures: unknown[] = [];

async function serveSource(source: SseSource, headers: Record<string, string> = {}): Promise<string> {
  const app = new Hono();
  app.get('/events', (c) =>
    respondWithSse(
      c.env,
      { 'content-type': 'text/event-stream', 'x-test': 'yes', ...headers },
      source,
      (error) => failures.push(error),
    ),
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

  it('answers 500 in the OpenAI error shape when the headers cannot be written, and keeps running', async () => {
    const before = failures.length;
    const { source, state } = sourceOf(['data: 1\n\n']);
    const response = await fetch(
      await serveSource(source, { 'x-bad': 'line\nbreak', 'x-request-id': 'req-sse-failure' }),
    );
    expect(response.status).toBe(500);
    expect(response.headers.get('x-request-id')).toBe('req-sse-failure');
    const body = (await response.json()) as { error: { type: string; message: string } };
    expect(body.error.type).toBe('server_error');
    expect(body.error.message).toContain('Retry');
    expect(failures.length).toBe(before + 1);
    expect(state.cancelled).toBe(true);
  });

  it('breaks the connection, rather than ending cleanly, when the source throws mid-stream', async () => {
    const before = failures.length;
    let calls = 0;
    const source: SseSource = {
      async next() {
        calls++;
        if (calls === 1) return 'data: 1\n\n';
        throw new Error('a bug');
      },
      cancel() {},
    };
    const url = await serveSource(source);
    // Broken before or after the head arrived (the first piece may not have left yet): never a clean end.
    const outcome = await fetch(url)
      .then((response) => response.text())
      .then(
        () => 'complete',
        () => 'broken',
      );
    expect(outcome).toBe('broken');
    expect(failures.length).toBe(before + 1);
  });

  it('returns a web stream body when there is no Node response', async () => {
    const { source } = sourceOf(['data: 1\n\n', '', 'data: [DONE]\n\n']);
    const response = respondWithSse(
      undefined,
      { 'content-type': 'text/event-stream' },
      source,
      () => undefined,
    );
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    expect(await response.text()).toBe('data: 1\n\ndata: [DONE]\n\n');
  });
});
