/**
 * @module bench/overhead/stack-proxy
 * A third floor for the overhead benchmark (target `stack`): the least an OpenAI-compatible proxy in
 * front of Ollama costs when it is built on the stack issue 2 prescribes, whatever else it does. It is
 * the translating floor (`translating-proxy.ts`) with the three parts the issue names in place of its
 * hand-written ones:
 * - a Hono app served by @hono/node-server (`createApp(deps)` "builds the Hono app");
 * - the official `ollama` client on the native `/api/chat` ("Uses the official `ollama` client"), given
 *   switchyard's own transport (`createOllamaTransport`, the cheapest way switchyard has to feed it), a
 *   client per request as switchyard has: the client keeps every stream it started in a list until the
 *   stream is read past its `done` line, so one shared client would grow with every answer cut short,
 *   and a client's abort reaches the exchange only through its transport's signal;
 * - a stream from Ollama for every answer, whole ones included: the profiler must record "time to first
 *   token" of every completion, which a `stream: false` call does not show.
 * Streamed answers go to Node's socket through switchyard's `respondWithSse`, as switchyard's do.
 *
 * Nothing else: no validation, routing, profile rows, metrics, error mapping beyond a 502, and only the
 * fields the benchmark's request uses. What switchyard adds beyond this is the cost of those features;
 * what this adds beyond the translating floor is what the prescribed stack costs. If this floor alone
 * costs more than twice the pass-through floor, the "within 2× of the floor" target cannot be met by
 * anything built as the issue asks.
 *
 * `tsx bench/overhead/stack-proxy.ts --upstream http://127.0.0.1:11434 [--port 0]`; prints its URL.
 */
import { createServer } from 'node:http';
import { createAdaptorServer } from '@hono/node-server';
import { Hono } from 'hono';
import { type AbortableAsyncIterator, type ChatResponse, Ollama } from 'ollama';
import { respondWithSse } from '../../src/http/sse-response.js';
import { createOllamaTransport } from '../../src/providers/ollama/http-transport.js';
import { isMainModule, listenReferenceProxy, type ReferenceProxy, runReferenceProxy } from './proxy-main.js';
import { completionBody, completionChunk, nativeChatOf, type OpenAiBody } from './translating-proxy.js';

let sequence = 0;

export async function startStackProxy(options: {
  upstream: string;
  host?: string;
  port?: number;
}): Promise<ReferenceProxy> {
  const transport = createOllamaTransport();
  const app = new Hono();
  app.post('/v1/chat/completions', async (c) => {
    let body: OpenAiBody;
    try {
      body = (await c.req.json()) as OpenAiBody;
    } catch {
      return c.json({ error: { message: 'the body is not JSON', type: 'invalid_request_error' } }, 400);
    }
    const id = `chatcmpl-${++sequence}`;
    const created = Math.floor(Date.now() / 1000);
    // Aborted when the client goes away, before the answer starts (the request's own signal, which
    // @hono/node-server aborts on a close) or while it streams (`cancel`): the transport then ends the
    // exchange with Ollama.
    const upstream = new AbortController();
    const leaving = c.req.raw.signal;
    if (leaving.aborted) upstream.abort();
    else leaving.addEventListener('abort', () => upstream.abort(), { once: true });
    const client = new Ollama({ host: options.upstream, fetch: transport.fetchWith(upstream.signal) });
    let stream: AbortableAsyncIterator<ChatResponse>;
    try {
      stream = await client.chat({ ...nativeChatOf(body), stream: true });
    } catch (error) {
      return c.json({ error: { message: String(error), type: 'upstream_error' } }, 502);
    }
    if (body.stream !== true) {
      let content = '';
      for await (const part of stream) {
        content += part.message.content;
        if (part.done) return c.json(completionBody(id, created, body.model, content, part));
      }
      return c.json({ error: { message: 'Ollama ended the answer early', type: 'upstream_error' } }, 502);
    }
    const parts = stream[Symbol.asyncIterator]();
    let first = true;
    let finished = false;
    return respondWithSse(
      c.env,
      { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' },
      {
        async next() {
          if (finished) return undefined;
          const { done, value: part } = await parts.next();
          if (done) throw new Error('Ollama ended the answer before its last line');
          let text = '';
          if (first || part.message.content) {
            const delta = first
              ? { role: 'assistant', content: part.message.content }
              : { content: part.message.content };
            text += completionChunk(id, created, body.model, delta, null);
            first = false;
          }
          if (part.done) {
            finished = true;
            const reason = part.done_reason === 'length' ? 'length' : 'stop';
            text += `${completionChunk(id, created, body.model, {}, reason)}data: [DONE]\n\n`;
          }
          return text;
        },
        cancel: () => upstream.abort(),
      },
      () => {},
    );
  });
  const server = createAdaptorServer({ fetch: app.fetch, createServer });
  return listenReferenceProxy(server as ReturnType<typeof createServer>, transport, options);
}

if (isMainModule(import.meta.url)) {
  await runReferenceProxy('bench/overhead/stack-proxy.ts', startStackProxy);
}
