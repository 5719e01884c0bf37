/**
 * @module test/e2e/gateway-tools
 * Tool calls through the `openai` SDK's own stream helper and non-streamed, and a tool-result round
 * trip, checked both on the OpenAI side and in the Ollama form the simulator received.
 */
import type { ChatCompletionChunk, ChatCompletionFunctionTool } from 'openai/resources/chat/completions';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../support/harness.js';

const model = 'ollama/llama3.2:3b';

const weatherTool: ChatCompletionFunctionTool = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Current weather for a city.',
    parameters: {
      type: 'object',
      properties: { city: { type: 'string' }, days: { type: 'integer' } },
      required: ['city', 'days'],
    },
  },
};

const timeTool: ChatCompletionFunctionTool = {
  type: 'function',
  function: {
    name: 'get_time',
    parameters: { type: 'object', properties: { zone: { type: 'string' } }, required: ['zone'] },
  },
};

let harness: Harness;

beforeAll(async () => {
  harness = await startHarness();
});

afterAll(async () => {
  await harness?.close();
});

beforeEach(() => {
  harness.ollama.clearRequests();
});

function lastChatBody(): Record<string, unknown> {
  const chats = harness.ollama.requests.filter((request) => request.path === '/api/chat');
  return chats.at(-1)!.body as Record<string, unknown>;
}

describe('streamed tool call', () => {
  it('is assembled by the SDK stream helper from id/name deltas and argument fragments', async () => {
    const stream = harness.openai.chat.completions.stream({
      model,
      messages: [{ role: 'user', content: 'What is the weather in Paris? [sim:tool]' }],
      tools: [weatherTool, timeTool],
    });
    const chunks: ChatCompletionChunk[] = [];
    const argumentsDone: Array<{ name: string; index: number; arguments: string; parsed: unknown }> = [];
    stream.on('chunk', (chunk) => chunks.push(chunk));
    stream.on('tool_calls.function.arguments.done', (event) =>
      argumentsDone.push({
        name: event.name,
        index: event.index,
        arguments: event.arguments,
        parsed: event.parsed_arguments,
      }),
    );
    const completion = await stream.finalChatCompletion();

    const choice = completion.choices[0]!;
    expect(choice.finish_reason).toBe('tool_calls');
    expect(choice.message.content).toBeNull();
    const calls = choice.message.tool_calls!;
    expect(calls).toHaveLength(1);
    const call = calls[0]!;
    expect(call.type).toBe('function');
    if (call.type !== 'function') throw new Error('expected a function call');
    expect(call.id).toMatch(/^call_[A-Za-z0-9]{24}$/);
    expect(call.function.name).toBe('get_weather');
    const parsed = JSON.parse(call.function.arguments) as Record<string, unknown>;
    expect(typeof parsed.city).toBe('string');
    expect(Number.isInteger(parsed.days)).toBe(true);

    expect(argumentsDone).toHaveLength(1);
    expect(argumentsDone[0]).toMatchObject({
      name: 'get_weather',
      index: 0,
      arguments: call.function.arguments,
    });

    // The wire deltas: the call's identity first, then argument fragments for the same index.
    const toolDeltas = chunks.flatMap((chunk) => chunk.choices[0]?.delta.tool_calls ?? []);
    expect(toolDeltas.length).toBeGreaterThanOrEqual(2);
    expect(toolDeltas[0]).toEqual({
      index: 0,
      id: call.id,
      type: 'function',
      function: { name: 'get_weather', arguments: '' },
    });
    for (const delta of toolDeltas.slice(1)) {
      expect(delta.index).toBe(0);
      expect(delta.id).toBeUndefined();
      expect(delta.type).toBeUndefined();
      expect(delta.function?.name).toBeUndefined();
      expect(typeof delta.function?.arguments).toBe('string');
    }
    expect(toolDeltas.map((delta) => delta.function?.arguments ?? '').join('')).toBe(call.function.arguments);
    expect(chunks.at(-1)!.choices[0]!.finish_reason).toBe('tool_calls');
    expect(new Set(chunks.map((chunk) => chunk.id)).size).toBe(1);

    // What Ollama received: the tools in its own form.
    const body = lastChatBody();
    expect(body.tools).toEqual([
      { type: 'function', function: weatherTool.function },
      { type: 'function', function: timeTool.function },
    ]);
  });

  it('calls the tool named by the message, and ids differ between calls', async () => {
    const ids: string[] = [];
    for (let round = 0; round < 2; round++) {
      const stream = harness.openai.chat.completions.stream({
        model,
        messages: [
          { role: 'user', content: `Round ${round}: what time is it in Tokyo? [sim:tool=get_time]` },
        ],
        tools: [weatherTool, timeTool],
      });
      const completion = await stream.finalChatCompletion();
      const call = completion.choices[0]!.message.tool_calls![0]!;
      if (call.type !== 'function') throw new Error('expected a function call');
      expect(call.function.name).toBe('get_time');
      expect(JSON.parse(call.function.arguments)).toEqual({ zone: expect.any(String) });
      ids.push(call.id);
    }
    expect(ids[0]).not.toBe(ids[1]);
  });
});

describe('non-streamed tool call', () => {
  it('returns null content, the call with JSON-string arguments, and finish_reason tool_calls', async () => {
    const completion = await harness.openai.chat.completions.create({
      model,
      messages: [{ role: 'user', content: 'Weather in Oslo? [sim:tool]' }],
      tools: [weatherTool],
    });
    const choice = completion.choices[0]!;
    expect(choice.finish_reason).toBe('tool_calls');
    expect(choice.message.content).toBeNull();
    const call = choice.message.tool_calls![0]!;
    if (call.type !== 'function') throw new Error('expected a function call');
    expect(call.id).toMatch(/^call_/);
    expect(call.function.name).toBe('get_weather');
    expect(() => JSON.parse(call.function.arguments)).not.toThrow();
  });

  it('honours tool_choice none (no tools sent) and a named function (only that one sent)', async () => {
    const none = await harness.openai.chat.completions.create({
      model,
      messages: [{ role: 'user', content: 'Weather? [sim:tool] [sim:tokens=3]' }],
      tools: [weatherTool, timeTool],
      tool_choice: 'none',
    });
    expect(none.choices[0]!.finish_reason).toBe('stop');
    expect(lastChatBody()).not.toHaveProperty('tools');

    const named = await harness.openai.chat.completions.create({
      model,
      messages: [{ role: 'user', content: 'Weather? [sim:tool]' }],
      tools: [weatherTool, timeTool],
      tool_choice: { type: 'function', function: { name: 'get_time' } },
    });
    const call = named.choices[0]!.message.tool_calls![0]!;
    if (call.type !== 'function') throw new Error('expected a function call');
    expect(call.function.name).toBe('get_time');
    expect((lastChatBody().tools as unknown[]).length).toBe(1);
  });
});

describe('tool result round trip', () => {
  it('reaches Ollama with object arguments and tool_name, and the model answers in text', async () => {
    const completion = await harness.openai.chat.completions.create({
      model,
      messages: [
        { role: 'system', content: 'You are terse.' },
        { role: 'user', content: 'Weather in Paris for 2 days? [sim:tool]' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            {
              id: 'call_abc123',
              type: 'function',
              function: { name: 'get_weather', arguments: '{"city":"Paris","days":2}' },
            },
            {
              id: 'call_def456',
              type: 'function',
              function: { name: 'get_time', arguments: '{"zone":"CET"}' },
            },
          ],
        },
        { role: 'tool', tool_call_id: 'call_abc123', content: '{"forecast":"sunny"}' },
        { role: 'tool', tool_call_id: 'call_def456', content: '14:00' },
      ],
      tools: [weatherTool, timeTool],
    });
    expect(completion.choices[0]!.finish_reason).toBe('stop');
    expect(completion.choices[0]!.message.content).toEqual(expect.any(String));
    expect(completion.choices[0]!.message.tool_calls).toBeUndefined();

    expect(lastChatBody().messages).toMatchInlineSnapshot(`
      [
        {
          "content": "You are terse.",
          "role": "system",
        },
        {
          "content": "Weather in Paris for 2 days? [sim:tool]",
          "role": "user",
        },
        {
          "content": "",
          "role": "assistant",
          "tool_calls": [
            {
              "function": {
                "arguments": {
                  "city": "Paris",
                  "days": 2,
                },
                "name": "get_weather",
              },
            },
            {
              "function": {
                "arguments": {
                  "zone": "CET",
                },
                "name": "get_time",
              },
            },
          ],
        },
        {
          "content": "{"forecast":"sunny"}",
          "role": "tool",
          "tool_name": "get_weather",
        },
        {
          "content": "14:00",
          "role": "tool",
          "tool_name": "get_time",
        },
      ]
    `);
  });

  it('rejects tool-call arguments that are not a JSON object, naming the field', async () => {
    const error = await harness.openai.chat.completions
      .create({
        model,
        messages: [
          { role: 'user', content: 'go' },
          {
            role: 'assistant',
            content: '',
            tool_calls: [
              { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{oops' } },
            ],
          },
          { role: 'tool', tool_call_id: 'call_1', content: 'x' },
        ],
        tools: [weatherTool],
      })
      .catch((thrown: unknown) => thrown);
    expect(error).toMatchObject({
      status: 400,
      param: 'messages.1.tool_calls.0.function.arguments',
      type: 'invalid_request_error',
    });
  });
});
