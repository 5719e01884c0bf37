/**
 * @module test/http/node-fetch
 * The cloud SDKs' fetch on node:http, against a real server: a native Response with status, headers,
 * URL and a streamed body, decoded if compressed; the request body and headers as sent; aborts before
 * and during the body reaching the server; a dropped connection failing the body; null-body statuses;
 * Request inputs going to the fallback.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNodeFetch } from '../../src/http/node-fetch.js';

describe('createNodeFetch', () => {
  let server: Server;
  let base: string;
  let closedEarly = 0;
  let received: { method?: string; headers: IncomingMessage['headers']; body: string } | undefined;
  let answer: (response: ServerResponse) => void = (response) => response.end();
  const fallbackCalls: unknown[] = [];
  const nodeFetch = createNodeFetch(async (input) => {
    fallbackCalls.push(input);
    return new Response('from the fallback');
  });

  beforeAll(async () => {
    server = createServer((request, response) => {
      let body = '';
      request.setEncoding('utf8');
      request.on('data', (chunk: string) => {
        body += chunk;
      });
      request.on('end', () => {
        received = { method: request.method, headers: request.headers, body };
        response.on('close', () => {
          if (!response.writableEnded) closedEarly++;
        });
        answer(response);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    nodeFetch.close();
    await new Promise((resolve) => server.close(resolve));
  });

  it('sends the method, headers and body, and answers with a native Response', async () => {
    answer = (response) => {
      response.writeHead(429, 'Too Many Requests', {
        'content-type': 'application/json',
        'retry-after': '7',
      });
      response.end('{"type":"error","error":{"type":"rate_limit_error","message":"slow down"}}');
    };
    const response = await nodeFetch.fetch(`${base}/v1/messages`, {
      method: 'POST',
      headers: new Headers({ 'x-api-key': 'k', 'content-type': 'application/json' }),
      body: '{"model":"claude","漢":"🦀"}',
    });
    expect(received).toMatchObject({ method: 'POST', body: '{"model":"claude","漢":"🦀"}' });
    expect(received?.headers['x-api-key']).toBe('k');
    expect(received?.headers['content-length']).toBe(
      String(Buffer.byteLength('{"model":"claude","漢":"🦀"}')),
    );
    expect(response).toBeInstanceOf(Response);
    expect(response.status).toBe(429);
    expect(response.statusText).toBe('Too Many Requests');
    expect(response.ok).toBe(false);
    expect(response.url).toBe(`${base}/v1/messages`);
    expect(response.headers.get('retry-after')).toBe('7');
    expect(await response.json()).toEqual({
      type: 'error',
      error: { type: 'rate_limit_error', message: 'slow down' },
    });
  });

  it('streams the body as the server writes it', async () => {
    let finish: () => void = () => undefined;
    answer = (response) => {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.write('event: ping\ndata: {}\n\n');
      finish = () => response.end('event: message_stop\ndata: {}\n\n');
    };
    const response = await nodeFetch.fetch(`${base}/stream`, { method: 'POST', body: '{}' });
    const reader = response.body!.getReader();
    const first = await reader.read();
    expect(Buffer.from(first.value!).toString()).toBe('event: ping\ndata: {}\n\n');
    finish();
    let rest = '';
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      rest += Buffer.from(value).toString();
    }
    expect(rest).toBe('event: message_stop\ndata: {}\n\n');
  });

  it('ends the exchange when the signal aborts during the body, failing the read with the reason', async () => {
    const before = closedEarly;
    answer = (response) => {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.write('data: 1\n\n');
    };
    const controller = new AbortController();
    const response = await nodeFetch.fetch(`${base}/stream`, { signal: controller.signal });
    const reader = response.body!.getReader();
    await reader.read();
    controller.abort(new DOMException('client left', 'AbortError'));
    await expect(reader.read()).rejects.toMatchObject({ name: 'AbortError', message: 'client left' });
    await expect.poll(() => closedEarly).toBe(before + 1);
  });

  it('rejects with the reason when the signal aborts before the answer', async () => {
    answer = () => undefined;
    const controller = new AbortController();
    const pending = nodeFetch.fetch(`${base}/slow`, { signal: controller.signal });
    setTimeout(() => controller.abort(new DOMException('deadline', 'TimeoutError')), 20);
    await expect(pending).rejects.toMatchObject({ name: 'TimeoutError' });
  });

  it('fails the body with a connection error when the server drops mid-answer', async () => {
    answer = (response) => {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.write('data: 1\n\n');
      setTimeout(() => response.socket?.destroy(), 10);
    };
    const response = await nodeFetch.fetch(`${base}/stream`);
    await expect(response.text()).rejects.toBeDefined();
  });

  it('decodes a compressed body, as Node fetch did, and drops the encoding headers', async () => {
    const text = '{"candidates":[{"content":{"parts":[{"text":"漢字 🦀"}]}}]}';
    const compressed = gzipSync(text);
    answer = (response) => {
      response.writeHead(200, {
        'content-type': 'application/json',
        'content-encoding': 'gzip',
        'content-length': String(compressed.length),
      });
      response.end(compressed);
    };
    const response = await nodeFetch.fetch(`${base}/v1beta/models/gemini:generateContent`, {
      method: 'POST',
      body: '{}',
    });
    expect(response.headers.has('content-encoding')).toBe(false);
    expect(response.headers.has('content-length')).toBe(false);
    expect(await response.text()).toBe(text);
  });

  it('gives null-body statuses no body', async () => {
    answer = (response) => {
      response.writeHead(204);
      response.end();
    };
    const response = await nodeFetch.fetch(`${base}/empty`, { method: 'DELETE' });
    expect(response.status).toBe(204);
    expect(response.body).toBeNull();
  });

  it('hands Request inputs and stream bodies to the fallback fetch', async () => {
    const viaRequest = await nodeFetch.fetch(new Request(`${base}/x`));
    expect(await viaRequest.text()).toBe('from the fallback');
    const viaStream = await nodeFetch.fetch(`${base}/x`, {
      method: 'POST',
      body: new ReadableStream(),
      duplex: 'half',
    } as RequestInit);
    expect(await viaStream.text()).toBe('from the fallback');
    expect(fallbackCalls).toHaveLength(2);
  });
});
