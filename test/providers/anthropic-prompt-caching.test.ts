/**
 * @module test/providers/anthropic-prompt-caching
 * The Claude adapter's prompt-caching breakpoints and cache-aware cost. Requests go to the simulated
 * Anthropic API, which validates `cache_control` as the real one does (a 5th breakpoint is a 400) and
 * bills cache reads and writes: the outgoing body is checked with an inline snapshot, and the usage the
 * simulator reports shows that the breakpoints pay off.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type AnthropicSimulator, startAnthropicSimulator } from '../../bench/upstreams/anthropic/index.js';
import { configSchema } from '../../src/config/schema.js';
import { parseChatRequest } from '../../src/openai/chat-request.js';
import { addCacheBreakpoints } from '../../src/providers/anthropic/cache-breakpoints.js';
import type { AnthropicRequestBody } from '../../src/providers/anthropic/request.js';
import { createAnthropicProvider } from '../../src/providers/anthropic.js';
import type { ChatEvent, Usage } from '../../src/providers/provider.js';

// The default Sonnet: the simulator caches prefixes from 1024 tokens on it (Haiku 4.5 needs 4096).
const model = 'claude-sonnet-5-5';
const defaults = configSchema.parse({}).anthropic;
const priced = {
  ...defaults,
  models: [{ name: model, price: { input_per_million: 3, output_per_million: 15 } }],
};

let sim: AnthropicSimulator;
beforeAll(async () => {
  sim = await startAnthropicSimulator({ speedFactor: 50, seed: 3 });
});
beforeEach(() => sim.clearRequests());
afterAll(() => sim.close());

function adapter(promptCaching = true) {
  return createAnthropicProvider({
    config: { ...priced, prompt_caching: promptCaching },
    env: { ANTHROPIC_API_KEY: sim.apiKey, ANTHROPIC_BASE_URL: sim.url },
  });
}

/** Runs one request through the adapter; returns the body the simulator received and the usage. */
async function send(body: unknown, promptCaching = true) {
  const events: ChatEvent[] = [];
  const context = { model, signal: new AbortController().signal, requestId: 'req-cache' };
  for await (const event of adapter(promptCaching).chat(parseChatRequest(body), context)) events.push(event);
  const finish = events.at(-1);
  if (finish?.type !== 'finish') throw new Error('the adapter did not finish');
  const sent = sim.requests.at(-1)?.body as AnthropicRequestBody;
  const { max_tokens: _max, model: _model, stream: _stream, ...shape } = sent;
  return { sent: shape, usage: finish.usage };
}

const user = (content: string) => ({ role: 'user', content });
const assistant = (content: string) => ({ role: 'assistant', content });
const weather = {
  type: 'function',
  function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } },
};
const clock = { type: 'function', function: { name: 'get_time' } };
/** Over the 1024-token minimum on its own (~1300 tokens at 4 characters each). */
const longSystem = `You are a careful coding assistant. ${'Follow the repository conventions. '.repeat(150)}`;

describe('anthropic prompt caching: breakpoints in the request body', () => {
  it('a system string becomes one marked text block; a first turn (no assistant turn yet) is not marked', async () => {
    const { sent } = await send({
      model: `anthropic/${model}`,
      messages: [{ role: 'system', content: 'You are terse.' }, user('Hello [sim:tokens=2]')],
    });
    expect(sent).toMatchInlineSnapshot(`
      {
        "messages": [
          {
            "content": [
              {
                "text": "Hello [sim:tokens=2]",
                "type": "text",
              },
            ],
            "role": "user",
          },
        ],
        "system": [
          {
            "cache_control": {
              "type": "ephemeral",
            },
            "text": "You are terse.",
            "type": "text",
          },
        ],
      }
    `);
  });

  it('several system messages: only the last system block is marked', async () => {
    const { sent } = await send({
      model: `anthropic/${model}`,
      messages: [
        { role: 'system', content: 'You are terse.' },
        { role: 'developer', content: 'Answer in English.' },
        user('Hello [sim:tokens=2]'),
      ],
    });
    expect(sent.system).toMatchInlineSnapshot(`
      [
        {
          "text": "You are terse.",
          "type": "text",
        },
        {
          "cache_control": {
            "type": "ephemeral",
          },
          "text": "Answer in English.",
          "type": "text",
        },
      ]
    `);
  });

  it('tools: the last tool definition is marked (the structured-output tool when there is one)', async () => {
    const { sent } = await send({
      model: `anthropic/${model}`,
      tools: [weather, clock],
      response_format: {
        type: 'json_schema',
        json_schema: { name: 'answer', schema: { type: 'object', properties: { text: { type: 'string' } } } },
      },
      messages: [user('Plan the day. [sim:tokens=2]')],
    });
    expect(sent.tools).toMatchInlineSnapshot(`
      [
        {
          "input_schema": {
            "properties": {
              "city": {
                "type": "string",
              },
            },
            "type": "object",
          },
          "name": "get_weather",
        },
        {
          "input_schema": {
            "properties": {},
            "type": "object",
          },
          "name": "get_time",
        },
        {
          "cache_control": {
            "type": "ephemeral",
          },
          "description": "Give your final answer by calling this tool; its input is your whole reply.",
          "input_schema": {
            "properties": {
              "text": {
                "type": "string",
              },
            },
            "type": "object",
          },
          "name": "answer",
        },
      ]
    `);
  });

  it('multi-turn with tools and a system prompt: all 4 breakpoints, the last two on the last two user turns', async () => {
    const { sent } = await send({
      model: `anthropic/${model}`,
      tools: [weather],
      messages: [
        { role: 'system', content: 'You are terse.' },
        user('Weather in Paris?'),
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            {
              id: 'toolu_01',
              type: 'function',
              function: { name: 'get_weather', arguments: '{"city":"Paris"}' },
            },
          ],
        },
        { role: 'tool', tool_call_id: 'toolu_01', content: 'Sunny, 21°C' },
        assistant('Sunny and 21°C.'),
        user('And tomorrow? [sim:tokens=2]'),
      ],
    });
    expect(sent.tools?.map((tool) => 'cache_control' in tool && tool.cache_control)).toEqual([
      { type: 'ephemeral' },
    ]);
    expect(sent.system).toEqual([
      { type: 'text', text: 'You are terse.', cache_control: { type: 'ephemeral' } },
    ]);
    expect(sent.messages).toMatchInlineSnapshot(`
      [
        {
          "content": [
            {
              "text": "Weather in Paris?",
              "type": "text",
            },
          ],
          "role": "user",
        },
        {
          "content": [
            {
              "id": "toolu_01",
              "input": {
                "city": "Paris",
              },
              "name": "get_weather",
              "type": "tool_use",
            },
          ],
          "role": "assistant",
        },
        {
          "content": [
            {
              "cache_control": {
                "type": "ephemeral",
              },
              "content": "Sunny, 21°C",
              "tool_use_id": "toolu_01",
              "type": "tool_result",
            },
          ],
          "role": "user",
        },
        {
          "content": [
            {
              "text": "Sunny and 21°C.",
              "type": "text",
            },
          ],
          "role": "assistant",
        },
        {
          "content": [
            {
              "cache_control": {
                "type": "ephemeral",
              },
              "text": "And tomorrow? [sim:tokens=2]",
              "type": "text",
            },
          ],
          "role": "user",
        },
      ]
    `);
  });

  it('one user message, no system, no tools: nothing worth marking', async () => {
    const { sent } = await send({ model: `anthropic/${model}`, messages: [user('Hello [sim:tokens=2]')] });
    expect(sent).toMatchInlineSnapshot(`
      {
        "messages": [
          {
            "content": [
              {
                "text": "Hello [sim:tokens=2]",
                "type": "text",
              },
            ],
            "role": "user",
          },
        ],
      }
    `);
  });

  it('prompt_caching off: no cache_control anywhere, the system prompt stays a string', async () => {
    const { sent } = await send(
      {
        model: `anthropic/${model}`,
        tools: [weather],
        messages: [{ role: 'system', content: 'You are terse.' }, user('Hello [sim:tokens=2]')],
      },
      false,
    );
    expect(JSON.stringify(sent)).not.toContain('cache_control');
    expect(sent.system).toBe('You are terse.');
  });

  it('a body already carrying marks keeps them, gets no duplicate, and never exceeds 4; empty text is skipped', () => {
    const mark = { type: 'ephemeral' as const };
    const body: AnthropicRequestBody = {
      model,
      max_tokens: 10,
      stream: true,
      tools: [{ name: 'a', input_schema: { type: 'object' }, cache_control: mark }],
      system: [
        { type: 'text', text: 'one', cache_control: mark },
        { type: 'text', text: 'two', cache_control: mark },
      ],
      messages: [
        { role: 'user', content: 'first' },
        { role: 'assistant', content: 'ok' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'question' },
            { type: 'text', text: ' ' },
          ],
        },
      ],
    };
    addCacheBreakpoints(body);
    expect(JSON.stringify(body).match(/cache_control/g)).toHaveLength(4);
    expect(body.messages[2]?.content).toEqual([
      { type: 'text', text: 'question', cache_control: mark },
      { type: 'text', text: ' ' },
    ]);
    expect(body.messages[0]?.content).toBe('first');
  });
});

describe('anthropic prompt caching: usage and cost', () => {
  /** A conversation under way: the system prompt, an earlier exchange, then `question`. */
  const conversation = (question: string) => ({
    model: `anthropic/${model}`,
    messages: [
      { role: 'system', content: longSystem },
      user('Where is the config read?'),
      assistant('In src/config/load-config.ts.'),
      user(`${question} [sim:tokens=3]`),
    ],
  });

  it('a one-shot question (no assistant turn) caches only the system prompt, not itself', async () => {
    // A system prompt of its own: the simulator's cache outlives a test, and the others use longSystem.
    const reviewSystem = `A reviewer. ${longSystem}`;
    const oneShot = {
      model: `anthropic/${model}`,
      messages: [{ role: 'system', content: reviewSystem }, user('Review this file. [sim:tokens=3]')],
    };
    const first = await send(oneShot);
    const second = await send(oneShot);
    const system = Math.ceil(reviewSystem.length / 4);
    expect(first.usage.cacheWritePromptTokens).toBe(system);
    expect(second.usage.cachedPromptTokens).toBe(system);
    expect(second.usage.cacheWritePromptTokens).toBeUndefined();
    // The question itself is billed once at the input price, never at the 1.25× of a cache write.
    const costOf = (usage: Usage) => adapter().costOf(model, usage)!;
    const rest = first.usage.promptTokens - system;
    expect(costOf(first.usage)).toBeCloseTo((system * 3.75 + rest * 3 + 3 * 15) / 1e6, 12);
  });

  it('the first request writes the prefix, the same one again reads it, and costs less', async () => {
    const first = await send(conversation('What changed?'));
    const second = await send(conversation('What changed?'));
    const prompt = first.usage.promptTokens;
    expect(first.usage).toMatchObject({ promptTokens: prompt, cacheWritePromptTokens: prompt });
    expect(first.usage.cachedPromptTokens).toBeUndefined();
    expect(second.usage).toMatchObject({ promptTokens: prompt, cachedPromptTokens: prompt });
    expect(second.usage.cacheWritePromptTokens).toBeUndefined();

    const costOf = (usage: Usage) => adapter().costOf(model, usage)!;
    // $3 per million input: writes at 1.25×, reads at 0.1×; 3 output tokens at $15 per million.
    expect(costOf(first.usage)).toBeCloseTo((prompt * 3.75 + 3 * 15) / 1e6, 12);
    expect(costOf(second.usage)).toBeCloseTo((prompt * 0.3 + 3 * 15) / 1e6, 12);
  });

  it('a new question in the same conversation reads up to the earlier turn and writes only the new one', async () => {
    await send(conversation('First question?'));
    const next = await send(conversation('A different question?'));
    const system = Math.ceil(longSystem.length / 4);
    // The earlier user turn's breakpoint: system and the earlier question are read.
    expect(next.usage.cachedPromptTokens).toBeGreaterThan(system);
    expect(next.usage.cachedPromptTokens! + next.usage.cacheWritePromptTokens!).toBe(next.usage.promptTokens);
  });

  it('configured cache prices win over the published ratios', () => {
    const custom = createAnthropicProvider({
      config: {
        ...defaults,
        models: [
          {
            name: model,
            price: {
              input_per_million: 3,
              output_per_million: 15,
              cache_read_per_million: 1,
              cache_write_per_million: 5,
            },
          },
        ],
      },
      env: {},
    });
    const usage = {
      promptTokens: 1_000_000 + 2_000_000 + 3_000_000,
      cachedPromptTokens: 2_000_000,
      cacheWritePromptTokens: 3_000_000,
      completionTokens: 0,
    };
    // 1M uncached at $3, 2M read at $1, 3M written at $5.
    expect(custom.costOf(model, usage)).toBe(3 + 2 + 15);
  });
});
