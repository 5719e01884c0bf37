/**
 * @module test/e2e/gateway-errors-request
 * Errors a client causes, each in the OpenAI error shape with the status and class the `openai` SDK
 * expects, naming the field at fault: bad JSON, bad fields, unknown models, oversized bodies and
 * unknown endpoints. None of them may reach Ollama's /api/chat, and the server keeps serving.
 */
import OpenAI from 'openai';
import type { ChatCompletionCreateParamsNonStreaming } from 'openai/resources/chat/completions';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../support/harness.js';
import { postChat } from './gateway-helpers.js';

const model = 'ollama/llama3.2:3b';
const bodyLimit = 4096;

let harness: Harness;

beforeAll(async () => {
  harness = await startHarness({ config: { server: { body_limit_bytes: bodyLimit } } });
});

afterAll(async () => {
  await harness?.close();
});

beforeEach(() => {
  harness.ollama.clearRequests();
});

function chatCalls(): number {
  return harness.ollama.requests.filter((request) => request.path === '/api/chat').length;
}

async function createError(params: unknown): Promise<unknown> {
  return harness.openai.chat.completions
    .create(params as ChatCompletionCreateParamsNonStreaming)
    .then(() => undefined)
    .catch((thrown: unknown) => thrown);
}

/** Checks the raw body is exactly `{error:{message,type,param,code}}`. */
async function expectErrorBody(response: Response, status: number) {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  expect(response.headers.get('x-request-id')).toMatch(/^req_/);
  const body = (await response.json()) as { error: Record<string, unknown> };
  expect(Object.keys(body)).toEqual(['error']);
  expect(Object.keys(body.error).sort()).toEqual(['code', 'message', 'param', 'type']);
  expect(typeof body.error.message).toBe('string');
  return body.error;
}

describe('malformed requests', () => {
  it('invalid JSON → 400 invalid_json', async () => {
    const error = await expectErrorBody(await postChat(harness, '{"model": "auto", "messages": ['), 400);
    expect(error).toMatchObject({ type: 'invalid_request_error', code: 'invalid_json', param: null });
    expect(error.message).toMatch(/not valid JSON/);
  });

  it('an empty body → 400', async () => {
    const error = await expectErrorBody(await postChat(harness, ''), 400);
    expect(error.type).toBe('invalid_request_error');
  });

  it('a JSON array instead of an object → 400', async () => {
    const error = await expectErrorBody(await postChat(harness, '[1,2]'), 400);
    expect(error.type).toBe('invalid_request_error');
  });

  it('missing messages → BadRequestError with param `messages`', async () => {
    const error = await createError({ model });
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(error).toMatchObject({ status: 400, param: 'messages', type: 'invalid_request_error' });
    expect((error as Error).message).toMatch(/messages/);
  });

  it('empty messages → 400 with param `messages`', async () => {
    expect(await createError({ model, messages: [] })).toMatchObject({ status: 400, param: 'messages' });
  });

  it('missing model → 400 with param `model`', async () => {
    const error = await createError({ messages: [{ role: 'user', content: 'hi' }] });
    expect(error).toMatchObject({ status: 400, param: 'model' });
  });

  it('a message with content of the wrong type → 400 naming the field', async () => {
    const error = await createError({
      model,
      messages: [
        { role: 'user', content: 'ok' },
        { role: 'user', content: 5 },
      ],
    });
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(error).toMatchObject({ status: 400, param: 'messages.1.content' });
  });

  it('a message with an unknown role → 400 naming the role field', async () => {
    const error = await createError({ model, messages: [{ role: 'wizard', content: 'hi' }] });
    expect(error).toMatchObject({ status: 400, param: 'messages.0.role' });
  });

  it('a tool message without tool_call_id → 400 naming it', async () => {
    const error = await createError({ model, messages: [{ role: 'tool', content: 'x' }] });
    expect(error).toMatchObject({ status: 400, param: 'messages.0.tool_call_id' });
  });

  it('an image in a system message → 400 naming the content', async () => {
    const error = await createError({
      model,
      messages: [
        {
          role: 'system',
          content: [{ type: 'image_url', image_url: { url: 'data:image/png;base64,AA==' } }],
        },
      ],
    });
    expect(error).toMatchObject({ status: 400, param: 'messages.0.content' });
  });

  it('an image that is neither a data URL nor http(s) → 400 naming the url', async () => {
    const error = await createError({
      model,
      messages: [
        { role: 'user', content: [{ type: 'image_url', image_url: { url: 'file:///etc/passwd' } }] },
      ],
    });
    expect(error).toMatchObject({ status: 400, param: 'messages.0.content.0.image_url.url' });
  });

  it('temperature out of range → 400 naming it', async () => {
    const error = await createError({ model, temperature: 7, messages: [{ role: 'user', content: 'hi' }] });
    expect(error).toMatchObject({ status: 400, param: 'temperature' });
  });

  it('tool_choice naming a function not in tools → 400 naming tool_choice', async () => {
    const error = await createError({
      model,
      messages: [{ role: 'user', content: 'hi' }],
      tools: [{ type: 'function', function: { name: 'a' } }],
      tool_choice: { type: 'function', function: { name: 'b' } },
    });
    expect(error).toMatchObject({ status: 400, param: 'tool_choice' });
  });

  it('none of these reached Ollama', () => {
    expect(chatCalls()).toBe(0);
  });
});

describe('unknown models', () => {
  it('an unknown bare name → NotFoundError model_not_found, param model', async () => {
    const error = await createError({ model: 'no-such-model', messages: [{ role: 'user', content: 'hi' }] });
    expect(error).toBeInstanceOf(OpenAI.NotFoundError);
    expect(error).toMatchObject({ status: 404, code: 'model_not_found', param: 'model' });
    expect((error as Error).message).toMatch(/GET \/v1\/models/);
  });

  it('an unknown ollama/ model → 404 model_not_found telling how to pull it', async () => {
    const error = await createError({ model: 'ollama/nope:1b', messages: [{ role: 'user', content: 'hi' }] });
    expect(error).toBeInstanceOf(OpenAI.NotFoundError);
    expect(error).toMatchObject({ status: 404, code: 'model_not_found', param: 'model' });
    expect((error as Error).message).toMatch(/ollama pull nope:1b/);
    expect(chatCalls()).toBe(0);
  });

  it('an unknown provider prefix → 404', async () => {
    const error = await createError({ model: 'acme/model-1', messages: [{ role: 'user', content: 'hi' }] });
    expect(error).toMatchObject({ status: 404, code: 'model_not_found' });
  });
});

describe('body size limit', () => {
  it('a body over server.body_limit_bytes → 413 with the limit in the message', async () => {
    const error = await createError({
      model,
      messages: [{ role: 'user', content: 'x'.repeat(bodyLimit * 2) }],
    });
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect(error).toMatchObject({ status: 413, code: 'request_too_large', type: 'invalid_request_error' });
    expect((error as Error).message).toMatch(/body_limit_bytes/);
  });

  it('a chunked body without content-length over the limit → 413', async () => {
    const text = JSON.stringify({ model, messages: [{ role: 'user', content: 'y'.repeat(bodyLimit * 2) }] });
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        const bytes = new TextEncoder().encode(text);
        for (let offset = 0; offset < bytes.length; offset += 1024)
          controller.enqueue(bytes.slice(offset, offset + 1024));
        controller.close();
      },
    });
    const response = await fetch(`${harness.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      duplex: 'half',
    } as RequestInit);
    const error = await expectErrorBody(response, 413);
    expect(error.code).toBe('request_too_large');
  });

  it('a body just under the limit is served', async () => {
    const completion = await harness.openai.chat.completions.create({
      model,
      messages: [{ role: 'user', content: `${'z'.repeat(bodyLimit - 200)} [sim:tokens=2]` }],
    });
    expect(completion.choices[0]!.finish_reason).toBe('stop');
  });
});

describe('unknown endpoints', () => {
  it('an unknown path → 404 JSON that says which endpoints exist', async () => {
    const error = await expectErrorBody(
      await fetch(`${harness.baseURL}/completions`, { method: 'POST' }),
      404,
    );
    expect(error).toMatchObject({ code: 'unknown_url', type: 'invalid_request_error' });
    expect(error.message).toMatch(/POST \/v1\/chat\/completions/);
  });

  it('the wrong method on a known path → 404 JSON', async () => {
    await expectErrorBody(await fetch(`${harness.baseURL}/chat/completions`), 404);
  });

  it('the SDK sees a NotFoundError for an endpoint switchyard does not serve', async () => {
    const error = await harness.openai.embeddings
      .create({ model: 'nomic-embed-text', input: 'hi' })
      .catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(OpenAI.NotFoundError);
    expect(error).toMatchObject({ code: 'unknown_url' });
  });
});

describe('afterwards', () => {
  it('the server still answers', async () => {
    const completion = await harness.openai.chat.completions.create({
      model,
      messages: [{ role: 'user', content: 'still there? [sim:tokens=2]' }],
    });
    expect(completion.choices[0]!.message.content).toEqual(expect.any(String));
  });
});
