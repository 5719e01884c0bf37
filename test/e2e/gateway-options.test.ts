/**
 * @module test/e2e/gateway-options
 * How OpenAI request fields arrive at Ollama's native /api/chat, as the simulator received them
 * (inline snapshots of the body), and how num_ctx is sized from the prompt and the config.
 */
import type { ChatCompletionCreateParamsNonStreaming } from 'openai/resources/chat/completions';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../support/harness.js';

const model = 'ollama/llama3.2:3b';
/** A 1×1 transparent PNG. */
const pixel = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=';

let harness: Harness;

beforeAll(async () => {
  harness = await startHarness({
    config: { ollama: { keep_alive: '12m', min_context: 4096, context_step: 4096 } },
  });
});

afterAll(async () => {
  await harness?.close();
});

beforeEach(() => {
  harness.ollama.clearRequests();
});

/** The body of the last /api/chat call the simulator received. */
function upstreamBody(): Record<string, unknown> {
  const chats = harness.ollama.requests.filter((request) => request.path === '/api/chat');
  expect(chats.length).toBeGreaterThan(0);
  return chats.at(-1)!.body as Record<string, unknown>;
}

function upstreamNumCtx(): number {
  return (upstreamBody().options as { num_ctx: number }).num_ctx;
}

describe('OpenAI fields as Ollama options', () => {
  it('maps max_tokens, stop, temperature, top_p, seed and penalties under options', async () => {
    await harness.openai.chat.completions.create({
      model,
      messages: [{ role: 'user', content: 'hi [sim:tokens=3]' }],
      max_tokens: 50,
      stop: ['END', '###'],
      temperature: 0.2,
      top_p: 0.9,
      seed: 42,
      frequency_penalty: 0.5,
      presence_penalty: -0.25,
    });
    expect(upstreamBody()).toMatchInlineSnapshot(`
      {
        "keep_alive": "12m",
        "messages": [
          {
            "content": "hi [sim:tokens=3]",
            "role": "user",
          },
        ],
        "model": "llama3.2:3b",
        "options": {
          "frequency_penalty": 0.5,
          "num_ctx": 4096,
          "num_predict": 50,
          "presence_penalty": -0.25,
          "seed": 42,
          "stop": [
            "END",
            "###",
          ],
          "temperature": 0.2,
          "top_p": 0.9,
        },
        "stream": true,
      }
    `);
  });

  it('maps max_completion_tokens to num_predict (and prefers it over max_tokens), a single stop to a list', async () => {
    await harness.openai.chat.completions.create({
      model,
      messages: [{ role: 'user', content: 'hi [sim:tokens=3]' }],
      max_completion_tokens: 64,
      max_tokens: 999,
      stop: 'STOP',
    });
    expect(upstreamBody().options).toMatchInlineSnapshot(`
      {
        "num_ctx": 4096,
        "num_predict": 64,
        "stop": [
          "STOP",
        ],
      }
    `);
  });

  it('maps response_format json_object to format "json" and json_schema to the schema itself', async () => {
    const jsonObject = await harness.openai.chat.completions.create({
      model,
      messages: [{ role: 'user', content: 'Give me JSON.' }],
      response_format: { type: 'json_object' },
    });
    expect(upstreamBody().format).toBe('json');
    expect(() => JSON.parse(jsonObject.choices[0]!.message.content!)).not.toThrow();

    const schema = {
      type: 'object',
      properties: { name: { type: 'string' }, age: { type: 'integer' } },
      required: ['name', 'age'],
      additionalProperties: false,
    };
    const structured = await harness.openai.chat.completions.create({
      model,
      messages: [{ role: 'user', content: 'A person.' }],
      response_format: { type: 'json_schema', json_schema: { name: 'person', schema, strict: true } },
    });
    expect(upstreamBody().format).toEqual(schema);
    const person = JSON.parse(structured.choices[0]!.message.content!) as Record<string, unknown>;
    expect(typeof person.name).toBe('string');
    expect(Number.isInteger(person.age)).toBe(true);
  });

  it('folds developer into system, joins text parts, and passes data-URL images as bare base64', async () => {
    await harness.openai.chat.completions.create({
      model,
      messages: [
        { role: 'developer', content: 'Be brief.' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is in ' },
            { type: 'image_url', image_url: { url: `data:image/png;base64,${pixel}`, detail: 'low' } },
            { type: 'text', text: 'this image? [sim:tokens=2]' },
          ],
        },
      ],
    });
    expect(upstreamBody().messages).toMatchInlineSnapshot(`
      [
        {
          "content": "Be brief.",
          "role": "system",
        },
        {
          "content": "What is in this image? [sim:tokens=2]",
          "images": [
            "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=",
          ],
          "role": "user",
        },
      ]
    `);
  });

  it('ignores fields it does not know, as OpenAI does', async () => {
    const params = {
      model,
      messages: [{ role: 'user', content: 'hi [sim:tokens=2]' }],
      logit_bias: { '50256': -100 },
      metadata: { team: 'e2e' },
      store: false,
      some_future_field: { nested: true },
    } as ChatCompletionCreateParamsNonStreaming;
    const completion = await harness.openai.chat.completions.create(params);
    expect(completion.choices[0]!.finish_reason).toBe('stop');
    const body = upstreamBody();
    expect(Object.keys(body).sort()).toEqual(['keep_alive', 'messages', 'model', 'options', 'stream']);
  });

  it('refuses n: 2 with a 400 naming `n`', async () => {
    const error = await harness.openai.chat.completions
      .create({ model, n: 2, messages: [{ role: 'user', content: 'hi' }] })
      .catch((thrown: unknown) => thrown);
    expect(error).toMatchObject({ status: 400, param: 'n', code: 'unsupported_parameter' });
    expect(harness.ollama.requests.filter((request) => request.path === '/api/chat')).toHaveLength(0);
  });

  it('accepts n: 1', async () => {
    const completion = await harness.openai.chat.completions.create({
      model,
      n: 1,
      messages: [{ role: 'user', content: 'hi [sim:tokens=2]' }],
    });
    expect(completion.choices).toHaveLength(1);
  });
});

describe('finish_reason length', () => {
  it('is reported when num_predict cuts the answer, non-streamed and streamed', async () => {
    const cut = await harness.openai.chat.completions.create({
      model,
      max_tokens: 3,
      messages: [{ role: 'user', content: 'A long story. [sim:tokens=30]' }],
    });
    expect(cut.choices[0]!.finish_reason).toBe('length');
    expect(cut.usage!.completion_tokens).toBe(3);

    const stream = await harness.openai.chat.completions.create({
      model,
      max_tokens: 4,
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: 'user', content: 'Another long story. [sim:tokens=30]' }],
    });
    const finishes: Array<string | null> = [];
    let completionTokens: number | undefined;
    for await (const chunk of stream) {
      if (chunk.choices[0]) finishes.push(chunk.choices[0].finish_reason);
      if (chunk.usage) completionTokens = chunk.usage.completion_tokens;
    }
    expect(finishes.at(-1)).toBe('length');
    expect(completionTokens).toBe(4);
  });
});

describe('num_ctx sizing', () => {
  // A model of its own, so the sticky per-model size is not disturbed by the other tests.
  const sized = 'ollama/qwen2.5-coder:7b';

  it('starts at the configured minimum, grows for a long prompt and stays for a short one', async () => {
    await harness.openai.chat.completions.create({
      model: sized,
      messages: [{ role: 'user', content: 'short [sim:tokens=2]' }],
    });
    expect(upstreamNumCtx()).toBe(4096);

    // About 11,100 estimated tokens plus the default 2048-token output budget: three steps of 4096 is too small.
    const long = `${'lorem ipsum dolor sit amet '.repeat(1500)} [sim:tokens=2]`;
    await harness.openai.chat.completions.create({
      model: sized,
      messages: [{ role: 'user', content: long }],
    });
    const grown = upstreamNumCtx();
    expect(grown).toBe(16_384);

    await harness.openai.chat.completions.create({
      model: sized,
      messages: [{ role: 'user', content: 'short again [sim:tokens=2]' }],
    });
    expect(upstreamNumCtx()).toBe(grown);
    expect(harness.ollama.loadedModels()).toContain('qwen2.5-coder:7b');
  });

  it('counts max_tokens as the output budget', async () => {
    await harness.openai.chat.completions.create({
      model: 'ollama/qwen3:8b',
      max_tokens: 7000,
      messages: [{ role: 'user', content: 'short [sim:tokens=2]' }],
    });
    expect(upstreamNumCtx()).toBe(8192);
  });

  it('refuses a prompt longer than the model context with 400 context_length_exceeded', async () => {
    // qwen2.5-coder:32b has a 32,768-token context; this is about 56,000 estimated tokens.
    const huge = 'word '.repeat(40_000);
    const error = await harness.openai.chat.completions
      .create({ model: 'ollama/qwen2.5-coder:32b', messages: [{ role: 'user', content: huge }] })
      .catch((thrown: unknown) => thrown);
    expect(error).toMatchObject({ status: 400, code: 'context_length_exceeded', param: 'messages' });
    expect(harness.ollama.requests.filter((request) => request.path === '/api/chat')).toHaveLength(0);
  });
});
