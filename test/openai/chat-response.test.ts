/**
 * @module test/openai/chat-response
 * The outbound edge: internal events as OpenAI chunks (streaming) and as one chat completion
 * (non-streaming). The shapes are what the OpenAI SDKs and coding tools parse, so they are asserted exactly.
 */
import { describe, expect, it } from 'vitest';
import {
  type ChatCompletionChunk,
  ChunkEncoder,
  CompletionCollector,
  toWireUsage,
} from '../../src/openai/chat-response.js';
import type { ChatEvent } from '../../src/providers/provider.js';

const identity = { id: 'chatcmpl-abc123', created: 1_717_000_000, model: 'ollama/qwen2.5-coder:7b' };

const toolEvents: ChatEvent[] = [
  { type: 'tool-call-start', index: 0, id: 'call_a', name: 'read_file' },
  { type: 'tool-call-delta', index: 0, argumentsDelta: '{"pa' },
  { type: 'tool-call-delta', index: 0, argumentsDelta: 'th":"a.ts"}' },
  { type: 'tool-call-start', index: 1, id: 'call_b', name: 'list_dir' },
  { type: 'tool-call-delta', index: 1, argumentsDelta: '{}' },
  {
    type: 'finish',
    finishReason: 'tool_calls',
    usage: { promptTokens: 40, completionTokens: 12 },
  },
];

function encodeAll(events: ChatEvent[], includeUsage: boolean): ChatCompletionChunk[] {
  const encoder = new ChunkEncoder(identity, includeUsage);
  return events.flatMap((event) => encoder.encode(event));
}

function collect(events: ChatEvent[]) {
  const collector = new CompletionCollector();
  for (const event of events) collector.add(event);
  return collector.result(identity);
}

describe('ChunkEncoder', () => {
  it('puts the role and a content string on the first delta only', () => {
    const chunks = encodeAll(
      [
        { type: 'text-delta', text: 'Hel' },
        { type: 'text-delta', text: 'lo' },
        { type: 'finish', finishReason: 'stop', usage: { promptTokens: 3, completionTokens: 2 } },
      ],
      false,
    );
    expect(chunks.map((chunk) => chunk.choices[0]?.delta)).toEqual([
      { role: 'assistant', content: 'Hel' },
      { content: 'lo' },
      {},
    ]);
    expect(chunks.map((chunk) => chunk.choices[0]?.finish_reason)).toEqual([null, null, 'stop']);
  });

  it('gives the first delta an empty content string when it is not text', () => {
    const [first] = encodeAll([{ type: 'reasoning-delta', text: 'hmm' }], false);
    expect(first?.choices[0]?.delta).toEqual({ role: 'assistant', content: '', reasoning_content: 'hmm' });
  });

  it('repeats the same id, object, created and model on every chunk, usage chunk included', () => {
    const chunks = encodeAll([{ type: 'text-delta', text: 'x' }, ...toolEvents], true);
    expect(chunks.length).toBe(toolEvents.length + 2);
    for (const chunk of chunks) {
      expect(chunk).toMatchObject({ ...identity, object: 'chat.completion.chunk' });
    }
  });

  it('encodes tool call starts with index, id, type and name, and deltas with index and arguments only', () => {
    const chunks = encodeAll(toolEvents, false);
    expect(chunks.map((chunk) => chunk.choices[0]?.delta)).toEqual([
      {
        role: 'assistant',
        content: '',
        tool_calls: [
          { index: 0, id: 'call_a', type: 'function', function: { name: 'read_file', arguments: '' } },
        ],
      },
      { tool_calls: [{ index: 0, function: { arguments: '{"pa' } }] },
      { tool_calls: [{ index: 0, function: { arguments: 'th":"a.ts"}' } }] },
      {
        tool_calls: [
          { index: 1, id: 'call_b', type: 'function', function: { name: 'list_dir', arguments: '' } },
        ],
      },
      { tool_calls: [{ index: 1, function: { arguments: '{}' } }] },
      {},
    ]);
    expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe('tool_calls');
  });

  it('without include_usage: no usage key at all and no usage chunk', () => {
    const chunks = encodeAll([{ type: 'text-delta', text: 'x' }, ...toolEvents], false);
    for (const chunk of chunks) {
      expect(chunk).not.toHaveProperty('usage');
      expect(chunk.choices).toHaveLength(1);
      expect(chunk.choices[0]).toMatchObject({ index: 0, logprobs: null });
    }
  });

  it('with include_usage: usage null on each chunk and a final choices-less chunk with usage', () => {
    const chunks = encodeAll(
      [
        { type: 'text-delta', text: 'ok' },
        {
          type: 'finish',
          finishReason: 'length',
          usage: { promptTokens: 100, completionTokens: 20, cachedPromptTokens: 64, reasoningTokens: 7 },
        },
      ],
      true,
    );
    expect(chunks).toHaveLength(3);
    for (const chunk of chunks.slice(0, -1)) {
      expect(chunk.usage).toBeNull();
      expect(chunk.choices).toHaveLength(1);
    }
    expect(chunks[1]?.choices[0]?.finish_reason).toBe('length');
    expect(chunks[2]).toEqual({
      ...identity,
      object: 'chat.completion.chunk',
      choices: [],
      usage: {
        prompt_tokens: 100,
        completion_tokens: 20,
        total_tokens: 120,
        prompt_tokens_details: { cached_tokens: 64 },
        completion_tokens_details: { reasoning_tokens: 7 },
      },
    });
  });

  it('finishes an empty answer with one chunk that still carries the role', () => {
    const chunks = encodeAll(
      [{ type: 'finish', finishReason: 'stop', usage: { promptTokens: 1, completionTokens: 0 } }],
      false,
    );
    expect(chunks).toHaveLength(1);
    expect(chunks[0]?.choices[0]).toEqual({
      index: 0,
      delta: { role: 'assistant', content: '' },
      logprobs: null,
      finish_reason: 'stop',
    });
  });
});

describe('toWireUsage', () => {
  it('adds the totals and leaves out details that were not reported', () => {
    expect(toWireUsage({ promptTokens: 5, completionTokens: 7 })).toEqual({
      prompt_tokens: 5,
      completion_tokens: 7,
      total_tokens: 12,
    });
    expect(toWireUsage({ promptTokens: 5, completionTokens: 7, cachedPromptTokens: 0 })).toEqual({
      prompt_tokens: 5,
      completion_tokens: 7,
      total_tokens: 12,
      prompt_tokens_details: { cached_tokens: 0 },
    });
  });
});

describe('CompletionCollector', () => {
  it('collects text into one message with usage and finish reason', () => {
    const completion = collect([
      { type: 'text-delta', text: 'Hello, ' },
      { type: 'text-delta', text: '世界' },
      {
        type: 'finish',
        finishReason: 'stop',
        usage: { promptTokens: 9, completionTokens: 3, cachedPromptTokens: 4 },
      },
    ]);
    expect(completion).toEqual({
      ...identity,
      object: 'chat.completion',
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: 'Hello, 世界', refusal: null },
          logprobs: null,
          finish_reason: 'stop',
        },
      ],
      usage: {
        prompt_tokens: 9,
        completion_tokens: 3,
        total_tokens: 12,
        prompt_tokens_details: { cached_tokens: 4 },
      },
    });
  });

  it('gives null content for a pure tool-call answer, with calls assembled from fragments', () => {
    const completion = collect(toolEvents);
    const message = completion.choices[0]?.message;
    expect(message?.content).toBeNull();
    expect(message?.tool_calls).toEqual([
      { id: 'call_a', type: 'function', function: { name: 'read_file', arguments: '{"path":"a.ts"}' } },
      { id: 'call_b', type: 'function', function: { name: 'list_dir', arguments: '{}' } },
    ]);
    expect(completion.choices[0]?.finish_reason).toBe('tool_calls');
    expect(completion.usage).toEqual({ prompt_tokens: 40, completion_tokens: 12, total_tokens: 52 });
  });

  it('keeps text next to tool calls, and interleaved fragments go to their own call', () => {
    const completion = collect([
      { type: 'text-delta', text: 'Let me look.' },
      { type: 'tool-call-start', index: 0, id: 'c0', name: 'a' },
      { type: 'tool-call-start', index: 1, id: 'c1', name: 'b' },
      { type: 'tool-call-delta', index: 1, argumentsDelta: '{"y":' },
      { type: 'tool-call-delta', index: 0, argumentsDelta: '{"x":1}' },
      { type: 'tool-call-delta', index: 1, argumentsDelta: '2}' },
      { type: 'finish', finishReason: 'tool_calls', usage: { promptTokens: 1, completionTokens: 1 } },
    ]);
    const message = completion.choices[0]?.message;
    expect(message?.content).toBe('Let me look.');
    expect(message?.tool_calls?.map((call) => call.function.arguments)).toEqual(['{"x":1}', '{"y":2}']);
  });

  it('returns reasoning_content only when there was reasoning', () => {
    const withReasoning = collect([
      { type: 'reasoning-delta', text: 'First, ' },
      { type: 'reasoning-delta', text: 'think.' },
      { type: 'text-delta', text: '42' },
      {
        type: 'finish',
        finishReason: 'stop',
        usage: { promptTokens: 2, completionTokens: 8, reasoningTokens: 6 },
      },
    ]);
    expect(withReasoning.choices[0]?.message).toEqual({
      role: 'assistant',
      content: '42',
      reasoning_content: 'First, think.',
      refusal: null,
    });
    expect(withReasoning.usage.completion_tokens_details).toEqual({ reasoning_tokens: 6 });
    const without = collect([{ type: 'text-delta', text: 'x' }]);
    expect(without.choices[0]?.message).not.toHaveProperty('reasoning_content');
    expect(without.choices[0]?.message).not.toHaveProperty('tool_calls');
  });

  it('gives an empty string, not null, for an answer with no text and no tool calls', () => {
    const completion = collect([
      { type: 'finish', finishReason: 'length', usage: { promptTokens: 5, completionTokens: 0 } },
    ]);
    expect(completion.choices[0]?.message.content).toBe('');
    expect(completion.choices[0]?.finish_reason).toBe('length');
  });

  it('means the same as the streamed chunks it mirrors', () => {
    const events: ChatEvent[] = [
      { type: 'text-delta', text: 'a' },
      { type: 'text-delta', text: 'b' },
      ...toolEvents,
    ];
    const chunks = encodeAll(events, false);
    const streamedText = chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('');
    const completion = collect(events);
    expect(completion.choices[0]?.message.content).toBe(streamedText);
    expect(completion.choices[0]?.finish_reason).toBe(chunks.at(-1)?.choices[0]?.finish_reason);
  });
});
