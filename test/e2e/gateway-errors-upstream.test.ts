/**
 * @module test/e2e/gateway-errors-upstream
 * Failures of Ollama itself, injected in the simulator: unreachable, 5xx, model gone, and streams that
 * break after the first token. Before the first byte the client gets an OpenAI error with an actionable
 * message (after invisible retries where they make sense); after it, the stream ends with an error
 * event and no `[DONE]`, so the SDK throws instead of returning a silently truncated answer.
 */

import OpenAI from 'openai';
import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { freePort } from '../../bench/overhead/children.js';
import { type Harness, startHarness } from '../support/harness.js';
import { postChat, sseData } from './gateway-helpers.js';

const model = 'ollama/llama3.2:3b';
const ask = (tokens: number) => [{ role: 'user' as const, content: `Tell me more. [sim:tokens=${tokens}]` }];

let harness: Harness;

beforeAll(async () => {
  harness = await startHarness();
  // Warm the model metadata cache, so faults hit /api/chat itself.
  await harness.openai.chat.completions.create({ model, messages: ask(1) });
});

afterAll(async () => {
  await harness?.close();
});

beforeEach(() => {
  harness.ollama.setFault(null);
  harness.ollama.clearRequests();
});

function chatCalls(): number {
  return harness.ollama.requests.filter((request) => request.path === '/api/chat').length;
}

function caught(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(() => undefined).catch((thrown: unknown) => thrown);
}

/** Reads an SDK stream to its end, keeping what arrived before any error. */
async function drain(stream: AsyncIterable<ChatCompletionChunk>) {
  const chunks: ChatCompletionChunk[] = [];
  let error: unknown;
  try {
    for await (const chunk of stream) chunks.push(chunk);
  } catch (thrown) {
    error = thrown;
  }
  return { chunks, error, text: chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('') };
}

describe('before the first token', () => {
  it('Ollama refusing connections → 503 that says to run `ollama serve` or set OLLAMA_HOST', async () => {
    harness.ollama.setFault({ kind: 'refuse' });
    const error = await caught(harness.openai.chat.completions.create({ model, messages: ask(2) }));
    expect(error).toBeInstanceOf(OpenAI.InternalServerError);
    expect(error).toMatchObject({ status: 503, type: 'service_unavailable', code: 'unreachable' });
    const message = (error as Error).message;
    expect(message).toContain('ollama serve');
    expect(message).toContain('OLLAMA_HOST');
    expect(message).toContain(harness.ollama.url);
  });

  it('the same for a streamed request: the error comes as a status, not inside a 200 stream', async () => {
    harness.ollama.setFault({ kind: 'refuse' });
    const response = await postChat(harness, { model, stream: true, messages: ask(2) });
    expect(response.status).toBe(503);
    const body = (await response.json()) as { error: { message: string } };
    expect(body.error.message).toContain('ollama serve');
  });

  it('a 500 from Ollama is retried, then surfaces as a 502 api_error', async () => {
    harness.ollama.setFault({ kind: 'http-500', message: 'llama runner process has terminated' });
    const error = await caught(harness.openai.chat.completions.create({ model, messages: ask(2) }));
    expect(error).toBeInstanceOf(OpenAI.InternalServerError);
    expect(error).toMatchObject({ status: 502, type: 'api_error' });
    expect((error as Error).message).toContain('llama runner process has terminated');
    expect(chatCalls()).toBe(1 + harness.config.retry.max_retries);
  });

  it('a single 500 is retried invisibly: the client gets the answer', async () => {
    harness.ollama.setFault({ kind: 'http-500', times: 1 });
    const completion = await harness.openai.chat.completions.create({ model, messages: ask(3) });
    expect(completion.choices[0]!.finish_reason).toBe('stop');
    expect(chatCalls()).toBe(2);
  });

  it('Ollama answering model-not-found → 404 model_not_found, not retried', async () => {
    harness.ollama.setFault({ kind: 'model-not-found' });
    const error = await caught(harness.openai.chat.completions.create({ model, messages: ask(2) }));
    expect(error).toBeInstanceOf(OpenAI.NotFoundError);
    expect(error).toMatchObject({ status: 404, code: 'model_not_found', param: 'model' });
    expect((error as Error).message).toContain('ollama pull llama3.2:3b');
    expect(chatCalls()).toBe(1);
  });

  it('an error line before any token → retried like a 5xx', async () => {
    harness.ollama.setFault({ kind: 'error-line', afterChunks: 0, times: 1 });
    const completion = await harness.openai.chat.completions.create({ model, messages: ask(3) });
    expect(completion.choices[0]!.finish_reason).toBe('stop');
    expect(chatCalls()).toBe(2);
  });
});

describe('after the first token, streamed', () => {
  it('a cut connection → the SDK stream throws; the wire has an error event and no [DONE]', async () => {
    harness.ollama.setFault({ kind: 'cut-stream', afterChunks: 3, times: 1 });
    const { chunks, error, text } = await drain(
      await harness.openai.chat.completions.create({ model, stream: true, messages: ask(20) }),
    );
    expect(chunks.length).toBeGreaterThanOrEqual(1);
    expect(text.length).toBeGreaterThan(0);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect((error as Error).message).toMatch(/cut off/);
    expect(chunks.every((chunk) => chunk.choices[0]?.finish_reason == null)).toBe(true);

    harness.ollama.setFault({ kind: 'cut-stream', afterChunks: 3, times: 1 });
    const response = await postChat(harness, { model, stream: true, messages: ask(20) });
    expect(response.status).toBe(200);
    const events = sseData(await response.text());
    expect(events).not.toContain('[DONE]');
    const last = JSON.parse(events.at(-1)!) as { error: Record<string, unknown> };
    expect(last.error).toMatchObject({ type: 'api_error', code: 'stream_interrupted', param: null });
    expect(events.length).toBeGreaterThan(1);
  });

  it('a malformed NDJSON line → the stream errors instead of skipping it', async () => {
    // The bad line usually shares a network chunk with the first tokens: those must still arrive.
    harness.ollama.setFault({ kind: 'malformed-line', afterChunks: 2, times: 1 });
    const { chunks, error } = await drain(
      await harness.openai.chat.completions.create({ model, stream: true, messages: ask(40) }),
    );
    // Exactly the two tokens sent before the bad line.
    expect(chunks).toHaveLength(2);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect((error as Error).message).toMatch(/not JSON/);
  });

  it('an error line mid-stream → the stream errors with Ollama’s message', async () => {
    harness.ollama.setFault({
      kind: 'error-line',
      afterChunks: 2,
      message: 'CUDA error: out of memory',
      times: 1,
    });
    const { chunks, error } = await drain(
      await harness.openai.chat.completions.create({ model, stream: true, messages: ask(20) }),
    );
    expect(chunks.length).toBeGreaterThanOrEqual(1);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect((error as Error).message).toContain('CUDA error: out of memory');
  });

  it('the stream helper rejects finalChatCompletion too', async () => {
    harness.ollama.setFault({ kind: 'cut-stream', afterChunks: 2, times: 1 });
    const stream = harness.openai.chat.completions.stream({ model, messages: ask(20) });
    await expect(stream.finalChatCompletion()).rejects.toBeInstanceOf(OpenAI.APIError);
  });

  it('no retry happens once the first token was sent', async () => {
    harness.ollama.setFault({ kind: 'cut-stream', afterChunks: 2 });
    await drain(await harness.openai.chat.completions.create({ model, stream: true, messages: ask(20) }));
    expect(chatCalls()).toBe(1);
  });
});

describe('after the first token, non-streamed', () => {
  it('a cut connection → 502 stream_interrupted, not a shortened 200', async () => {
    harness.ollama.setFault({ kind: 'cut-stream', afterChunks: 3, times: 1 });
    const error = await caught(harness.openai.chat.completions.create({ model, messages: ask(20) }));
    expect(error).toBeInstanceOf(OpenAI.InternalServerError);
    expect(error).toMatchObject({ status: 502, code: 'stream_interrupted' });
  });

  it('an error line → 502 with Ollama’s message', async () => {
    harness.ollama.setFault({ kind: 'error-line', afterChunks: 2, message: 'runner crashed', times: 1 });
    const error = await caught(harness.openai.chat.completions.create({ model, messages: ask(20) }));
    expect(error).toMatchObject({ status: 502 });
    expect((error as Error).message).toContain('runner crashed');
  });
});

describe('recovery', () => {
  it('keeps serving, streamed and not, once the faults are gone', async () => {
    const completion = await harness.openai.chat.completions.create({ model, messages: ask(4) });
    expect(completion.choices[0]!.finish_reason).toBe('stop');
    const { error, chunks } = await drain(
      await harness.openai.chat.completions.create({ model, stream: true, messages: ask(4) }),
    );
    expect(error).toBeUndefined();
    expect(chunks.at(-1)!.choices[0]!.finish_reason).toBe('stop');
    const health = (await (await fetch(`${harness.url}/health`)).json()) as {
      providers: Record<string, { status: string }>;
    };
    expect(health.providers.ollama!.status).toBe('ready');
  });
});

describe('Ollama not running at all', () => {
  let dead: Harness;

  beforeAll(async () => {
    const port = await freePort();
    dead = await startHarness({ env: { OLLAMA_HOST: `127.0.0.1:${port}` } });
  });

  afterAll(async () => {
    await dead?.close();
  });

  it('an explicit model → 503 with the host and the fix', async () => {
    const error = await caught(dead.openai.chat.completions.create({ model, messages: ask(2) }));
    expect(error).toMatchObject({ status: 503, code: 'unreachable' });
    expect((error as Error).message).toMatch(/Ollama is not reachable at http:\/\/127\.0\.0\.1:\d+/);
    expect((error as Error).message).toContain('ollama serve');
    expect((error as Error).message).toContain('OLLAMA_HOST');
  });

  it('`auto` and a bare name → 503 too (unreachable, not "model not found")', async () => {
    for (const name of ['auto', 'llama3.2:3b']) {
      const error = await caught(dead.openai.chat.completions.create({ model: name, messages: ask(2) }));
      expect(error).toMatchObject({ status: 503, code: 'unreachable' });
    }
  });

  it('/v1/models still answers (without Ollama models) and /health says why', async () => {
    const models = await dead.openai.models.list();
    const ids = models.data.map((entry) => entry.id);
    expect(ids).toContain('auto');
    expect(ids.some((id) => id.startsWith('ollama/'))).toBe(false);
    const response = await fetch(`${dead.url}/health`);
    expect(response.status).toBe(200);
    const health = (await response.json()) as {
      status: string;
      providers: Record<string, { status: string; message?: string }>;
    };
    expect(health.providers.ollama).toMatchObject({ status: 'down' });
    expect(health.providers.ollama!.message).toContain('ollama serve');
  });
});
