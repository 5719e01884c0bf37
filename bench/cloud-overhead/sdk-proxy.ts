/**
 * @module bench/cloud-overhead/sdk-proxy
 * The least an OpenAI-compatible proxy in front of Claude or Gemini costs when it calls them through
 * their official SDKs, as issue 3 requires: the cloud bench's second floor (target `translator`).
 *
 * It reads the OpenAI request's JSON, sends its last user message through `@anthropic-ai/sdk`
 * (`messages.create`, streamed) or `@google/genai` (`generateContentStream`), each on switchyard's own
 * `node:http` fetch (the cheapest transport switchyard has for them), and writes OpenAI chunks or one
 * `chat.completion`. Nothing else: no validation, routing, profile rows, metrics, framework or error
 * mapping beyond a 502. It asks the upstream what switchyard asks (same model, `max_tokens` 4 096, a
 * stream; Gemini's thoughts included), so the simulator does the same work for every target.
 *
 * What it is for: if this floor alone costs more than twice the pass-through floor, the "within 2× of
 * the floor" target cannot be met by anything built on the SDKs, however lean the rest.
 *
 * `npx tsx bench/cloud-overhead/sdk-proxy.ts --provider anthropic|gemini --upstream <url> --key <key>`
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { parseArgs } from 'node:util';
import Anthropic from '@anthropic-ai/sdk';
import { GoogleGenAI } from '@google/genai';
import { createNodeFetch } from '../../src/http/node-fetch.js';
import {
  isMainModule,
  listenReferenceProxy,
  type ReferenceProxy,
  serveUntilStopped,
} from '../overhead/proxy-main.js';

export type SdkProvider = 'anthropic' | 'gemini';

interface Usage {
  prompt: number;
  completion: number;
}

/** Yields the answer's text pieces, then returns its usage. */
type Generate = (model: string, prompt: string, signal: AbortSignal) => AsyncGenerator<string, Usage>;

function anthropicGenerate(baseURL: string, apiKey: string, fetch: typeof globalThis.fetch): Generate {
  const client = new Anthropic({ apiKey, baseURL, maxRetries: 0, fetch });
  return async function* (model, prompt, signal) {
    const stream = await client.messages.create(
      { model, max_tokens: 4096, stream: true, messages: [{ role: 'user', content: prompt }] },
      { signal },
    );
    const usage: Usage = { prompt: 0, completion: 0 };
    for await (const event of stream) {
      if (event.type === 'message_start') usage.prompt = event.message.usage.input_tokens;
      else if (event.type === 'content_block_delta' && event.delta.type === 'text_delta')
        yield event.delta.text;
      else if (event.type === 'message_delta') usage.completion = event.usage.output_tokens;
    }
    return usage;
  };
}

function geminiGenerate(baseUrl: string, apiKey: string, fetch: typeof globalThis.fetch): Generate {
  const client = new GoogleGenAI({ apiKey, vertexai: false, httpOptions: { baseUrl, fetch } });
  return async function* (model, prompt, signal) {
    const stream = await client.models.generateContentStream({
      model,
      contents: [{ role: 'user', parts: [{ text: prompt }] }],
      config: { maxOutputTokens: 4096, thinkingConfig: { includeThoughts: true }, abortSignal: signal },
    });
    const usage: Usage = { prompt: 0, completion: 0 };
    for await (const chunk of stream) {
      for (const part of chunk.candidates?.[0]?.content?.parts ?? []) {
        if (part.text && !part.thought) yield part.text;
      }
      if (chunk.usageMetadata) {
        usage.prompt = chunk.usageMetadata.promptTokenCount ?? 0;
        usage.completion = chunk.usageMetadata.candidatesTokenCount ?? 0;
      }
    }
    return usage;
  };
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => {
      body += chunk;
    });
    request.on('end', () => resolve(body));
    request.on('error', reject);
  });
}

interface OpenAiRequest {
  model: string;
  stream?: boolean;
  messages: { role: string; content: unknown }[];
}

let nextId = 0;

async function answer(generate: Generate, request: IncomingMessage, response: ServerResponse) {
  const controller = new AbortController();
  response.on('close', () => controller.abort());
  try {
    const body = JSON.parse(await readBody(request)) as OpenAiRequest;
    const prompt = body.messages.findLast((message) => message.role === 'user')?.content;
    // `anthropic/claude-haiku-4-5` → `claude-haiku-4-5`: the provider prefix is switchyard's naming.
    const model = body.model.slice(body.model.indexOf('/') + 1);
    const id = `chatcmpl-${++nextId}`;
    const created = Math.floor(Date.now() / 1000);
    const pieces = generate(model, typeof prompt === 'string' ? prompt : '', controller.signal);
    if (body.stream) {
      const chunk = (delta: object, finish: string | null) =>
        `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: body.model, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
      // Nothing is sent before the upstream's first piece, as switchyard holds its output until then
      // (it may still escalate): the two first-byte times stay comparable.
      let next = await pieces.next();
      response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      response.write(chunk({ role: 'assistant', content: '' }, null));
      while (!next.done) {
        response.write(chunk({ content: next.value }, null));
        next = await pieces.next();
      }
      response.end(`${chunk({}, 'stop')}data: [DONE]\n\n`);
      return;
    }
    let text = '';
    let next = await pieces.next();
    while (!next.done) {
      text += next.value;
      next = await pieces.next();
    }
    const usage = next.value;
    const completion = JSON.stringify({
      id,
      object: 'chat.completion',
      created,
      model: body.model,
      choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }],
      usage: {
        prompt_tokens: usage.prompt,
        completion_tokens: usage.completion,
        total_tokens: usage.prompt + usage.completion,
      },
    });
    response.writeHead(200, { 'content-type': 'application/json' }).end(completion);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (!response.headersSent) {
      response
        .writeHead(502, { 'content-type': 'application/json' })
        .end(JSON.stringify({ error: { message, type: 'upstream_error' } }));
    } else {
      response.end(`data: ${JSON.stringify({ error: { message, type: 'upstream_error' } })}\n\n`);
    }
  }
}

export async function startSdkProxy(options: {
  provider: SdkProvider;
  upstream: string;
  apiKey: string;
  host?: string;
  port?: number;
}): Promise<ReferenceProxy> {
  const transport = createNodeFetch();
  const generate =
    options.provider === 'anthropic'
      ? anthropicGenerate(options.upstream, options.apiKey, transport.fetch)
      : geminiGenerate(options.upstream, options.apiKey, transport.fetch);
  const server = createServer((request, response) => void answer(generate, request, response));
  return listenReferenceProxy(server, transport, options);
}

if (isMainModule(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      provider: { type: 'string' },
      upstream: { type: 'string' },
      key: { type: 'string' },
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '0' },
    },
  });
  if ((values.provider !== 'anthropic' && values.provider !== 'gemini') || !values.upstream || !values.key) {
    console.error(
      'usage: tsx bench/cloud-overhead/sdk-proxy.ts --provider anthropic|gemini --upstream <url> --key <key>',
    );
    process.exit(2);
  }
  serveUntilStopped(
    await startSdkProxy({
      provider: values.provider,
      upstream: values.upstream,
      apiKey: values.key,
      host: values.host,
      port: Number(values.port),
    }),
  );
}
