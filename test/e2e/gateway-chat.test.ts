/**
 * @module test/e2e/gateway-chat
 * Plain chat through the official `openai` SDK against the simulated Ollama: the non-streamed body and
 * headers, and the streamed chunks as the SDK and as raw SSE see them.
 */
import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../support/harness.js';
import { type OllamaFinalChunk, ollamaFinals, postChat, sseData } from './gateway-helpers.js';

const model = 'ollama/llama3.2:3b';

let harness: Harness;
const finals = (): OllamaFinalChunk[] => ollamaFinals(harness);

beforeAll(async () => {
  harness = await startHarness({});
});

afterAll(async () => {
  await harness?.close();
});

describe('non-streamed chat', () => {
  it('answers with the content, finish reason, usage and identity of an OpenAI chat completion', async () => {
    const before = finals().length;
    const { data, response } = await harness.openai.chat.completions
      .create({ model, messages: [{ role: 'user', content: 'Say hello. [sim:tokens=6]' }] })
      .withResponse();

    expect(data.object).toBe('chat.completion');
    expect(data.id).toMatch(/^chatcmpl-[a-z0-9]{24}$/);
    expect(data.model).toBe(model);
    expect(data.created).toBeGreaterThan(1_600_000_000);
    expect(data.created).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000) + 1);
    expect(data.choices).toHaveLength(1);
    const choice = data.choices[0]!;
    expect(choice.index).toBe(0);
    expect(choice.finish_reason).toBe('stop');
    expect(choice.message.role).toBe('assistant');
    expect(typeof choice.message.content).toBe('string');
    expect(choice.message.content!.length).toBeGreaterThan(0);
    expect(choice.message.tool_calls).toBeUndefined();

    expect(finals().length).toBe(before + 1);
    const reported = finals().at(-1)!;
    expect(reported.eval_count).toBe(6);
    expect(data.usage).toEqual({
      prompt_tokens: reported.prompt_eval_count,
      completion_tokens: reported.eval_count,
      total_tokens: reported.prompt_eval_count + reported.eval_count,
    });

    expect(response.headers.get('x-request-id')).toMatch(/^req_[a-z0-9]{24}$/);
    expect(response.headers.get('x-switchyard-provider')).toBe('ollama');
    expect(response.headers.get('x-switchyard-model')).toBe('llama3.2:3b');
    expect(response.headers.get('x-switchyard-route')).toBe('local');
    const overhead = response.headers.get('x-switchyard-overhead-ms');
    expect(overhead).toMatch(/^\d+(\.\d+)?$/);
    expect(Number(overhead)).toBeGreaterThanOrEqual(0);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  });

  it('keeps a sane x-request-id from the client and replaces an unsafe one', async () => {
    const kept = await harness.openai.chat.completions
      .create(
        { model, messages: [{ role: 'user', content: 'hi [sim:tokens=1]' }] },
        { headers: { 'x-request-id': 'client-trace.42' } },
      )
      .withResponse();
    expect(kept.response.headers.get('x-request-id')).toBe('client-trace.42');

    const replaced = await postChat(
      harness,
      { model, messages: [{ role: 'user', content: 'hi [sim:tokens=1]' }] },
      { 'x-request-id': 'bad id with spaces' },
    );
    expect(replaced.status).toBe(200);
    expect(replaced.headers.get('x-request-id')).toMatch(/^req_/);
  });

  it('resolves a bare Ollama model name and reports the canonical id', async () => {
    const { data, response } = await harness.openai.chat.completions
      .create({ model: 'llama3.2:3b', messages: [{ role: 'user', content: 'hi [sim:tokens=2]' }] })
      .withResponse();
    expect(data.model).toBe(model);
    expect(response.headers.get('x-switchyard-reason')).toBe('explicit');
  });

  it('serves `auto` from a local model with the decision in the headers', async () => {
    const { data, response } = await harness.openai.chat.completions
      .create({ model: 'auto', messages: [{ role: 'user', content: 'hi [sim:tokens=2]' }] })
      .withResponse();
    expect(data.model).toMatch(/^ollama\//);
    expect(response.headers.get('x-switchyard-route')).toBe('local');
    expect(response.headers.get('x-switchyard-provider')).toBe('ollama');
    expect(response.headers.get('x-switchyard-reason')).toEqual(expect.any(String));
    expect(response.headers.get('x-switchyard-reason')).not.toBe('explicit');
  });
});

describe('streamed chat', () => {
  it('streams chunks with one identity, the role first, and the text of the answer', async () => {
    const before = finals().length;
    const { data: stream, response } = await harness.openai.chat.completions
      .create({ model, stream: true, messages: [{ role: 'user', content: 'Count. [sim:tokens=8]' }] })
      .withResponse();
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(response.headers.get('x-switchyard-provider')).toBe('ollama');
    expect(response.headers.get('x-request-id')).toMatch(/^req_/);

    const chunks: ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);

    expect(chunks.length).toBeGreaterThanOrEqual(3);
    const first = chunks[0]!;
    expect(first.id).toMatch(/^chatcmpl-/);
    for (const chunk of chunks) {
      expect(chunk.object).toBe('chat.completion.chunk');
      expect(chunk.id).toBe(first.id);
      expect(chunk.created).toBe(first.created);
      expect(chunk.model).toBe(model);
      expect(chunk).not.toHaveProperty('usage');
      expect(chunk.choices).toHaveLength(1);
      const content = chunk.choices[0]!.delta.content;
      if (content !== undefined) expect(typeof content).toBe('string');
    }
    expect(first.choices[0]!.delta.role).toBe('assistant');
    expect(chunks.slice(1).every((chunk) => chunk.choices[0]!.delta.role === undefined)).toBe(true);
    const finishes = chunks.map((chunk) => chunk.choices[0]!.finish_reason);
    expect(finishes.slice(0, -1).every((reason) => reason === null)).toBe(true);
    expect(finishes.at(-1)).toBe('stop');
    const text = chunks.map((chunk) => chunk.choices[0]!.delta.content ?? '').join('');
    expect(text.length).toBeGreaterThan(0);
    expect(finals().length).toBe(before + 1);
    expect(finals().at(-1)!.eval_count).toBe(8);
  });

  it('with include_usage: usage null on every chunk, then a last chunk with no choices and the usage', async () => {
    const before = finals().length;
    const stream = await harness.openai.chat.completions.create({
      model,
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: 'user', content: 'Count. [sim:tokens=5]' }],
    });
    const chunks: ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);

    const last = chunks.at(-1)!;
    expect(last.choices).toEqual([]);
    const reported = finals()[before]!;
    expect(last.usage).toEqual({
      prompt_tokens: reported.prompt_eval_count,
      completion_tokens: 5,
      total_tokens: reported.prompt_eval_count + 5,
    });
    for (const chunk of chunks.slice(0, -1)) {
      expect(chunk.usage).toBeNull();
      expect(chunk.choices).toHaveLength(1);
    }
    expect(chunks.at(-2)!.choices[0]!.finish_reason).toBe('stop');
  });

  it('on the wire: data-only events, no null system_fingerprint, usage chunk, then [DONE]', async () => {
    const response = await postChat(harness, {
      model,
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: 'user', content: 'Count. [sim:tokens=4]' }],
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-cache');
    const text = await response.text();
    expect(text.endsWith('data: [DONE]\n\n')).toBe(true);
    const events = sseData(text);
    expect(events.filter((event) => event === '[DONE]')).toHaveLength(1);
    const chunks = events.slice(0, -1).map((event) => JSON.parse(event) as Record<string, unknown>);
    for (const chunk of chunks) {
      expect(chunk).not.toHaveProperty('system_fingerprint');
      expect(chunk).toHaveProperty('usage');
      expect(Object.keys(chunk).sort()).toEqual(['choices', 'created', 'id', 'model', 'object', 'usage']);
    }
    const usageChunk = chunks.at(-1)!;
    expect(usageChunk.choices).toEqual([]);
    expect(usageChunk.usage).toMatchObject({ completion_tokens: 4 });
    expect(chunks.slice(0, -1).every((chunk) => chunk.usage === null)).toBe(true);
  });

  it('without include_usage: no usage field at all, and [DONE] after the finish chunk', async () => {
    const response = await postChat(harness, {
      model,
      stream: true,
      messages: [{ role: 'user', content: 'Count. [sim:tokens=3]' }],
    });
    const events = sseData(await response.text());
    expect(events.at(-1)).toBe('[DONE]');
    const chunks = events.slice(0, -1).map((event) => JSON.parse(event) as Record<string, unknown>);
    for (const chunk of chunks) expect(chunk).not.toHaveProperty('usage');
    const lastChoice = (chunks.at(-1)!.choices as Array<{ finish_reason: string; delta: object }>)[0]!;
    expect(lastChoice.finish_reason).toBe('stop');
  });

  it('streams the same text as the non-streamed answer for the same request', async () => {
    const messages = [{ role: 'user' as const, content: 'Same answer please. [sim:tokens=7]' }];
    const whole = await harness.openai.chat.completions.create({ model, messages, seed: 11 });
    const stream = await harness.openai.chat.completions.create({ model, messages, seed: 11, stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe(whole.choices[0]!.message.content);
  });
});
