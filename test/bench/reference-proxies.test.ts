/**
 * @module test/bench/reference-proxies
 * The overhead benchmark's floors must do their job, or the ratios against them mean nothing: the
 * pass-through proxy hands Ollama's native answer on unchanged, and the translating and stack proxies
 * answer the OpenAI API (read here by the official `openai` SDK, streamed and not) from Ollama's native
 * answer, asking Ollama for the same work (model, `keep_alive`, `options`); the stack proxy, like
 * switchyard, always asks for a stream.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPassthroughProxy } from '../../bench/overhead/passthrough-proxy.js';
import type { ReferenceProxy } from '../../bench/overhead/proxy-main.js';
import { startStackProxy } from '../../bench/overhead/stack-proxy.js';
import { startTranslatingProxy } from '../../bench/overhead/translating-proxy.js';
import { type OllamaSimulator, startOllamaSimulator } from '../../bench/upstreams/ollama/index.js';

let simulator: OllamaSimulator;
let passthrough: ReferenceProxy;
let translating: ReferenceProxy;
let stack: ReferenceProxy;

beforeAll(async () => {
  simulator = await startOllamaSimulator({ port: 0, speedFactor: 1000, seed: 1 });
  passthrough = await startPassthroughProxy({ upstream: simulator.url });
  translating = await startTranslatingProxy({ upstream: simulator.url });
  stack = await startStackProxy({ upstream: simulator.url });
});

afterAll(async () => {
  await Promise.all([passthrough.close(), translating.close(), stack.close()]);
  await simulator.close();
});

const content = 'Reverse a list in TypeScript. [sim:tokens=6]';

describe('pass-through proxy', () => {
  it('hands the native answer on as it came', async () => {
    const response = await fetch(`${passthrough.url}/api/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'qwen2.5-coder:7b',
        messages: [{ role: 'user', content }],
        stream: false,
      }),
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as {
      done: boolean;
      eval_count: number;
      message: { content: string };
    };
    expect(body).toMatchObject({ done: true, eval_count: 6 });
    expect(body.message.content.length).toBeGreaterThan(0);
  });
});

describe.each([
  { name: 'translating proxy', proxy: () => translating, streamsFromOllama: false },
  { name: 'stack proxy', proxy: () => stack, streamsFromOllama: true },
])('$name', ({ proxy, streamsFromOllama }) => {
  const client = () => new OpenAI({ baseURL: `${proxy().url}/v1`, apiKey: 'unused', maxRetries: 0 });
  // Fields outside the OpenAI API, forwarded so that Ollama does the same work for every target.
  const extra = { keep_alive: '30m', options: { num_ctx: 8192 } };

  it('answers a whole chat.completion with usage', async () => {
    await fetch(`${simulator.url}/__sim/requests`, { method: 'DELETE' });
    const completion = await client().chat.completions.create({
      model: 'ollama/qwen2.5-coder:7b',
      messages: [{ role: 'user', content }],
      max_tokens: 50,
      ...extra,
    } as OpenAI.ChatCompletionCreateParamsNonStreaming);
    expect(completion.choices[0]?.finish_reason).toBe('stop');
    expect(completion.choices[0]?.message.content?.length).toBeGreaterThan(0);
    expect(completion.usage?.completion_tokens).toBe(6);
    expect(completion.usage?.total_tokens).toBe(
      (completion.usage?.prompt_tokens ?? 0) + (completion.usage?.completion_tokens ?? 0),
    );
    const recorded = (await (await fetch(`${simulator.url}/__sim/requests`)).json()) as {
      requests: Array<{ path: string; body: Record<string, unknown> }>;
    };
    expect(recorded.requests.at(-1)).toMatchObject({
      path: '/api/chat',
      body: {
        model: 'qwen2.5-coder:7b',
        stream: streamsFromOllama,
        keep_alive: '30m',
        options: { num_ctx: 8192, num_predict: 50 },
      },
    });
  });

  it('streams OpenAI chunks the SDK assembles, ending with a finish reason and [DONE]', async () => {
    const stream = await client().chat.completions.create({
      model: 'ollama/qwen2.5-coder:7b',
      messages: [{ role: 'user', content }],
      stream: true,
      ...extra,
    } as OpenAI.ChatCompletionCreateParamsStreaming);
    let text = '';
    const finishReasons: Array<string | null | undefined> = [];
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      finishReasons.push(chunk.choices[0]?.finish_reason);
    }
    expect(text.length).toBeGreaterThan(0);
    expect(finishReasons.at(-1)).toBe('stop');
    expect(finishReasons.slice(0, -1).every((reason) => reason === null)).toBe(true);
  });

  it('says so when Ollama does not know the model', async () => {
    await expect(
      client().chat.completions.create({ model: 'ollama/nope:1b', messages: [{ role: 'user', content }] }),
    ).rejects.toMatchObject({ status: 502 });
  });

  it.each([
    { kind: 'malformed-line', afterChunks: 2 },
    { kind: 'error-line', afterChunks: 2 },
    { kind: 'cut-stream', afterChunks: 2 },
  ] as const)('ends a stream that breaks ($kind) as an error, and keeps serving', async (fault) => {
    simulator.setFault({ ...fault, times: 1 });
    const reading = (async () => {
      const stream = await client().chat.completions.create({
        model: 'ollama/qwen2.5-coder:7b',
        messages: [{ role: 'user', content: 'Explain closures. [sim:tokens=12]' }],
        stream: true,
        ...extra,
      } as OpenAI.ChatCompletionCreateParamsStreaming);
      for await (const _ of stream) {
        // read to the end, or to the error
      }
    })();
    await expect(reading).rejects.toThrow();
    simulator.setFault(null);
    const next = await client().chat.completions.create({
      model: 'ollama/qwen2.5-coder:7b',
      messages: [{ role: 'user', content }],
      ...extra,
    } as OpenAI.ChatCompletionCreateParamsNonStreaming);
    expect(next.choices[0]?.finish_reason).toBe('stop');
  });
});

describe.each([
  { name: 'translating proxy', start: startTranslatingProxy },
  { name: 'stack proxy', start: startStackProxy },
])('$name, when the client goes away', ({ start }) => {
  it.each([true, false])('before the answer starts (streamed: %s), stops Ollama', async (stream) => {
    // A cold model at speed ×2 takes over a second to load: the client leaves during the load.
    const slow = await startOllamaSimulator({ port: 0, speedFactor: 2, seed: 1 });
    const proxy = await start({ upstream: slow.url });
    try {
      const client = new OpenAI({ baseURL: `${proxy.url}/v1`, apiKey: 'unused', maxRetries: 0 });
      const request = client.chat.completions.create(
        { model: 'ollama/qwen2.5-coder:7b', messages: [{ role: 'user', content }], stream },
        { signal: AbortSignal.timeout(300) },
      );
      await expect(request).rejects.toThrow();
      await expect.poll(() => slow.abortedRequests, { timeout: 3000 }).toBe(1);
    } finally {
      await proxy.close();
      await slow.close();
    }
  });

  it('mid-stream, stops Ollama', async () => {
    // A slower simulator of its own, so that the answer is still streaming when the client leaves:
    // 400 tokens at ~45 tokens/s simulated is ~0.4 s at speed ×20.
    const slow = await startOllamaSimulator({ port: 0, speedFactor: 20, seed: 1 });
    const proxy = await start({ upstream: slow.url });
    try {
      const controller = new AbortController();
      const client = new OpenAI({ baseURL: `${proxy.url}/v1`, apiKey: 'unused', maxRetries: 0 });
      const stream = await client.chat.completions.create(
        {
          model: 'ollama/qwen2.5-coder:7b',
          messages: [{ role: 'user', content: 'Explain closures. [sim:tokens=400]' }],
          stream: true,
        },
        { signal: controller.signal },
      );
      let chunks = 0;
      // The SDK ends the iteration quietly or with an abort error, depending on where the abort lands.
      await (async () => {
        for await (const _ of stream) if (++chunks === 3) controller.abort();
      })().catch(() => undefined);
      await expect.poll(() => slow.abortedRequests, { timeout: 2000 }).toBe(1);
    } finally {
      await proxy.close();
      await slow.close();
    }
  });
});
