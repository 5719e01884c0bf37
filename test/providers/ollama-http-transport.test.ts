/**
 * @module test/providers/ollama-http-transport
 * The fetch the Ollama adapter gives the official client: its NDJSON line check (every chunk split),
 * and, against a real node:http server, byte-identical bodies, errors after the good lines, untouched
 * non-NDJSON and failed answers, aborts that reach the server, connection reuse, and no listener left
 * on the caller's signal once an answer ends.
 */
import { getEventListeners } from 'node:events';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Ollama } from 'ollama';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOllamaTransport } from '../../src/providers/ollama/http-transport.js';
import { createLineGuard, MalformedNdjsonError } from '../../src/providers/ollama/ndjson-guard.js';

const encode = (text: string) => new TextEncoder().encode(text);
const validStream = '{"message":{"content":"漢字 🦀"},"done":false}\n\n  {"done":true,"eval_count":2}  \r\n';

describe('createLineGuard', () => {
  /** Whether the guard passes `text` split into two chunks at `offset`. */
  function passes(text: string, offset: number): boolean {
    const bytes = encode(text);
    const guard = createLineGuard();
    for (const chunk of [bytes.slice(0, offset), bytes.slice(offset)]) {
      if (guard.check(chunk) < chunk.length) return false;
    }
    return !guard.endsInBadLine();
  }

  it('passes a valid stream however it is chunked', () => {
    for (let offset = 0; offset <= encode(validStream).length; offset++) {
      expect(passes(validStream, offset)).toBe(true);
    }
  });

  it.each([
    ['at the start', 'not json\n{"done":true}\n'],
    ['in the middle', '{"a":1}\n{"a":2\n{"done":true}\n'],
    ['as the last line without a newline', '{"a":1}\n{"done":tr'],
    ['as an HTML error page', '<html>502</html>\n'],
  ])('fails a malformed line %s, wherever the chunks split', (_where, text) => {
    for (let offset = 0; offset <= encode(text).length; offset++) expect(passes(text, offset)).toBe(false);
  });

  it('says where the good bytes of a chunk end', () => {
    const guard = createLineGuard();
    const chunk = encode('{"a":1}\n{"b":2}\nbroken\n{"c":3}\n');
    expect(guard.check(chunk)).toBe('{"a":1}\n{"b":2}\n'.length);
  });
});

describe('createOllamaTransport', () => {
  let server: Server;
  let base: string;
  let connections = 0;
  let closedEarly = 0;
  /** What the next request to /answer gets: writes with a pause between them so they arrive apart. */
  let answer: (response: ServerResponse) => void = () => undefined;
  const transport = createOllamaTransport();

  beforeAll(async () => {
    server = createServer((request, response) => {
      request.resume();
      response.on('close', () => {
        if (!response.writableEnded) closedEarly++;
      });
      answer(response);
    });
    server.on('connection', () => connections++);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    transport.close();
    await new Promise((resolve) => server.close(resolve));
  });

  function ndjson(...parts: string[]): (response: ServerResponse) => void {
    return (response) => {
      response.writeHead(200, { 'content-type': 'application/x-ndjson' });
      let index = 0;
      const next = () => {
        if (index === parts.length) return response.end();
        response.write(parts[index++]);
        setTimeout(next, 5);
      };
      next();
    };
  }

  async function readAll(reader: { read(): Promise<{ done: boolean; value?: Uint8Array }> }) {
    const chunks: Uint8Array[] = [];
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return Buffer.concat(chunks).toString('utf8');
      chunks.push(value!);
    }
  }

  it('passes an NDJSON body through byte-identical, on one reused connection', async () => {
    const before = connections;
    for (let round = 0; round < 3; round++) {
      answer = ndjson(validStream.slice(0, 20), validStream.slice(20));
      const response = await transport.fetchWith()(`${base}/answer`, { method: 'POST', body: '{}' });
      expect(response.ok).toBe(true);
      expect(response.headers.get('Content-Type')).toBe('application/x-ndjson');
      expect(await readAll(response.body!.getReader())).toBe(validStream);
    }
    expect(connections - before).toBe(1);
  });

  it('delivers the good lines before failing on a malformed one, and drops the connection', async () => {
    const before = closedEarly;
    answer = ndjson('{"a":1}\n{"b":', '2}\n<html>', 'oops</html>\n{"c":3}\n', '{"done":true}\n');
    const response = await transport.fetchWith()(`${base}/answer`, { method: 'POST', body: '{}' });
    const reader = response.body!.getReader();
    let received = '';
    const failure = await (async () => {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return undefined;
        received += Buffer.from(value).toString('utf8');
      }
    })().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(MalformedNdjsonError);
    // Every complete line delivered is a good one; the bad line's start may have gone out unfinished
    // (the check needs its end), which a line reader never parses.
    expect(received.split('\n').slice(0, -1)).toEqual(['{"a":1}', '{"b":2}']);
    await expect.poll(() => closedEarly).toBe(before + 1);
  });

  it('leaves non-NDJSON and failed answers untouched', async () => {
    answer = (response) => {
      response.writeHead(500, { 'content-type': 'application/json' });
      response.end('{"error":"llama runner process has terminated"}');
    };
    const failed = await transport.fetchWith()(`${base}/answer`, { method: 'POST', body: '{}' });
    expect(failed.ok).toBe(false);
    expect(failed.status).toBe(500);
    expect(await failed.json()).toEqual({ error: 'llama runner process has terminated' });
    answer = (response) => {
      response.writeHead(200, { 'content-type': 'text/html' });
      response.end('<html>not ndjson</html>\n');
    };
    const html = await transport.fetchWith()(`${base}/answer`);
    expect(await html.text()).toBe('<html>not ndjson</html>\n');
  });

  it('ends the exchange when the signal aborts mid-answer, failing the read with the reason', async () => {
    const before = closedEarly;
    answer = (response) => {
      response.writeHead(200, { 'content-type': 'application/x-ndjson' });
      response.write('{"message":{"content":"a"},"done":false}\n');
      // …and never ends: only the abort can finish this exchange.
    };
    const controller = new AbortController();
    const response = await transport.fetchWith(controller.signal)(`${base}/answer`, {
      method: 'POST',
      body: '{}',
    });
    const reader = response.body!.getReader();
    await reader.read();
    const pending = reader.read();
    controller.abort(new DOMException('client left', 'AbortError'));
    await expect(pending).rejects.toMatchObject({ name: 'AbortError', message: 'client left' });
    await expect.poll(() => closedEarly).toBe(before + 1);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('rejects at once when the signal has already aborted', async () => {
    const controller = new AbortController();
    controller.abort(new DOMException('gone', 'AbortError'));
    await expect(transport.fetchWith(controller.signal)(`${base}/answer`)).rejects.toMatchObject({
      name: 'AbortError',
    });
  });

  it('leaves no listener on the signal once an answer has ended', async () => {
    const controller = new AbortController();
    answer = ndjson('{"done":true}\n');
    const response = await transport.fetchWith(controller.signal)(`${base}/answer`, {
      method: 'POST',
      body: '{}',
    });
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    await readAll(response.body!.getReader());
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('fails as Node fetch did, with the socket error as the cause, when nothing listens', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    // In the shape Node's fetch used, which the adapters' classifiers know: TypeError('fetch failed', {cause}).
    const failure = await transport
      .fetchWith()(`http://127.0.0.1:${port}/api/tags`)
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(TypeError);
    expect(failure).toMatchObject({ message: 'fetch failed', cause: { code: 'ECONNREFUSED' } });
  });

  it('fails the read with a connection error when the server drops mid-answer', async () => {
    answer = (response) => {
      response.writeHead(200, { 'content-type': 'application/x-ndjson' });
      response.write('{"message":{"content":"a"},"done":false}\n');
      setTimeout(() => response.socket?.destroy(), 10);
    };
    const response = await transport.fetchWith()(`${base}/answer`, { method: 'POST', body: '{}' });
    await expect(readAll(response.body!.getReader())).rejects.toMatchObject({ code: 'ECONNRESET' });
  });

  it('serves the official client: a streamed chat read to its done line', async () => {
    answer = ndjson(
      '{"model":"m","created_at":"2024-01-01T00:00:00Z","message":{"role":"assistant","content":"Hi"},"done":false}\n',
      '{"model":"m","created_at":"2024-01-01T00:00:00Z","message":{"role":"assistant","content":""},"done":true,"done_reason":"stop","eval_count":1}\n',
    );
    const client = new Ollama({ host: base, fetch: transport.fetchWith() });
    const stream = await client.chat({
      model: 'm',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
    });
    const parts: string[] = [];
    for await (const chunk of stream) parts.push(chunk.message.content);
    expect(parts).toEqual(['Hi', '']);
  });
});
