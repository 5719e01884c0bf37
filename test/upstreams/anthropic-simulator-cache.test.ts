/**
 * @module test/upstreams/anthropic-simulator-cache
 * The simulated Anthropic API's prompt cache against the documented rules: prefixes are cached only up
 * to `cache_control` breakpoints (tools, then system, then messages), only from the model's minimum
 * length, for a 5-minute TTL that reads renew; usage splits the prompt into `cache_read_input_tokens`,
 * `cache_creation_input_tokens` and the uncached rest in `input_tokens`, identically in `message_start`
 * and in a non-streamed message; a 5th breakpoint is the API's 400. The clock is injected, so expiry
 * needs no waiting.
 */
import Anthropic from '@anthropic-ai/sdk';
import type { MessageCreateParamsNonStreaming } from '@anthropic-ai/sdk/resources/messages';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AnthropicSimulator, startAnthropicSimulator } from '../../bench/upstreams/anthropic/index.js';

// Sonnet: 1024-token minimum in the simulator, as documented.
const MODEL = 'claude-sonnet-5-5';
const SPEED = 50;
const mark = { type: 'ephemeral' as const };

let now = 0;
let sim: AnthropicSimulator;
let client: Anthropic;

beforeAll(async () => {
  sim = await startAnthropicSimulator({ speedFactor: SPEED, seed: 5, now: () => now });
  client = new Anthropic({ apiKey: sim.apiKey, baseURL: sim.url, maxRetries: 0 });
});
afterAll(() => sim.close());

/** `count` tokens of text (the simulator counts 4 characters a token), distinct per `tag`. */
const textOf = (tag: string, tokens: number) => `${tag}:`.padEnd(tokens * 4, '.');

const tool = (name: string, tokens: number) => ({
  name,
  description: textOf(name, tokens),
  input_schema: { type: 'object' as const },
});

function request(system: string, question: string): MessageCreateParamsNonStreaming {
  return {
    model: MODEL,
    max_tokens: 5,
    system: [{ type: 'text', text: system, cache_control: mark }],
    messages: [{ role: 'user', content: [{ type: 'text', text: question, cache_control: mark }] }],
  };
}

/** The usage of `message_start` in the raw stream, as the adapter reads it. */
async function streamedUsage(body: MessageCreateParamsNonStreaming): Promise<Record<string, unknown>> {
  const response = await fetch(`${sim.url}/v1/messages`, {
    method: 'POST',
    headers: {
      'x-api-key': sim.apiKey,
      'anthropic-version': '2023-06-01',
      'content-type': 'application/json',
    },
    body: JSON.stringify({ ...body, stream: true }),
  });
  const frames = (await response.text()).split('\n\n').filter((frame) => frame.includes('message_start'));
  const data = JSON.parse(frames[0]!.split('\n')[1]!.slice('data: '.length)) as {
    message: { usage: Record<string, unknown> };
  };
  return data.message.usage;
}

describe('Anthropic simulator prompt cache', () => {
  it('the first request writes up to the last breakpoint, the same request again reads it', async () => {
    const body = request(textOf('system-a', 2000), textOf('question-a', 100));
    const first = await client.messages.create(body);
    expect(first.usage).toMatchObject({
      input_tokens: 0,
      cache_creation_input_tokens: 2100,
      cache_read_input_tokens: 0,
      cache_creation: { ephemeral_5m_input_tokens: 2100, ephemeral_1h_input_tokens: 0 },
    });
    const second = await client.messages.create(body);
    expect(second.usage).toMatchObject({
      input_tokens: 0,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 2100,
    });
  });

  it('reports the same split in message_start when streamed', async () => {
    const body = request(textOf('system-stream', 1500), textOf('question-stream', 20));
    expect(await streamedUsage(body)).toMatchObject({
      input_tokens: 0,
      cache_creation_input_tokens: 1520,
      cache_read_input_tokens: 0,
    });
    expect(await streamedUsage(body)).toMatchObject({
      input_tokens: 0,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 1520,
    });
  });

  it('a new question reads the system prefix and writes only the new turn; uncached text after the last breakpoint is input', async () => {
    const system = textOf('system-b', 3000);
    await client.messages.create(request(system, textOf('first-b', 50)));
    const next = await client.messages.create({
      ...request(system, textOf('second-b', 40)),
      messages: [
        { role: 'user', content: [{ type: 'text', text: textOf('second-b', 40), cache_control: mark }] },
        { role: 'assistant', content: textOf('prefill-b', 10) },
      ],
    });
    expect(next.usage).toMatchObject({
      cache_read_input_tokens: 3000,
      cache_creation_input_tokens: 40,
      input_tokens: 10,
    });
  });

  it('a changed system prompt writes again', async () => {
    await client.messages.create(request(textOf('system-c', 2000), textOf('question-c', 10)));
    const changed = await client.messages.create(
      request(textOf('system-c2', 2000), textOf('question-c', 10)),
    );
    expect(changed.usage).toMatchObject({ cache_read_input_tokens: 0, cache_creation_input_tokens: 2010 });
  });

  it('orders the prefix tools, then system, then messages: a changed system keeps the tools cached', async () => {
    const tools = [tool('lookup', 800), { ...tool('search', 800), cache_control: mark }];
    const withSystem = (system: string) => ({
      ...request(system, textOf('question-d', 10)),
      tools,
    });
    await client.messages.create(withSystem(textOf('system-d', 500)));
    const changed = await client.messages.create(withSystem(textOf('system-d2', 500)));
    // The tools' prefix is over 1600 tokens (their JSON counts, not only the descriptions).
    expect(changed.usage.cache_read_input_tokens).toBeGreaterThan(1600);
    expect(changed.usage.cache_creation_input_tokens).toBe(510);
  });

  it('does not cache a prefix shorter than the model minimum, without error', async () => {
    const body = request(textOf('system-short', 900), textOf('question-short', 20));
    await client.messages.create(body);
    const again = await client.messages.create(body);
    expect(again.usage).toMatchObject({
      input_tokens: 920,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
    });
  });

  it('forgets a prefix after the TTL (5 minutes ÷ speed factor), and a read renews it', async () => {
    const body = request(textOf('system-ttl', 2000), textOf('question-ttl', 10));
    const ttlMs = (5 * 60_000) / SPEED;
    await client.messages.create(body);
    now += ttlMs - 1;
    expect((await client.messages.create(body)).usage.cache_read_input_tokens).toBe(2010);
    now += ttlMs - 1;
    expect((await client.messages.create(body)).usage.cache_read_input_tokens).toBe(2010);
    now += ttlMs + 1;
    expect((await client.messages.create(body)).usage).toMatchObject({
      cache_read_input_tokens: 0,
      cache_creation_input_tokens: 2010,
    });
  });

  it('reports writes by TTL: a 1-hour breakpoint counts in ephemeral_1h_input_tokens', async () => {
    const body = request(textOf('system-1h', 2000), textOf('question-1h', 10));
    const first = await client.messages.create({
      ...body,
      system: [{ type: 'text', text: textOf('system-1h', 2000), cache_control: { ...mark, ttl: '1h' } }],
    });
    expect(first.usage.cache_creation).toEqual({
      ephemeral_1h_input_tokens: 2000,
      ephemeral_5m_input_tokens: 10,
    });
  });

  it('refuses a 5th breakpoint with the API error shape', async () => {
    const response = await fetch(`${sim.url}/v1/messages`, {
      method: 'POST',
      headers: {
        'x-api-key': sim.apiKey,
        'anthropic-version': '2023-06-01',
        'content-type': 'application/json',
      },
      body: JSON.stringify({
        model: MODEL,
        max_tokens: 5,
        tools: [{ ...tool('one', 5), cache_control: mark }],
        system: [
          { type: 'text', text: 'a', cache_control: mark },
          { type: 'text', text: 'b', cache_control: mark },
        ],
        messages: [
          { role: 'user', content: [{ type: 'text', text: 'c', cache_control: mark }] },
          { role: 'assistant', content: 'ok' },
          { role: 'user', content: [{ type: 'text', text: 'd', cache_control: mark }] },
        ],
      }),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      type: 'error',
      error: {
        type: 'invalid_request_error',
        message: 'A maximum of 4 blocks with cache_control may be provided. Found 5.',
      },
      request_id: expect.stringMatching(/^req_/),
    });
  });
});
