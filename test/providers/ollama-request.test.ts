/**
 * @module test/providers/ollama-request
 * The Ollama adapter's request side: the native `/api/chat` body (inline snapshot) and `num_ctx` sizing.
 * The response side (NDJSON guard, error classification) is in ollama-stream-errors.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../src/errors.js';
import { parseChatRequest } from '../../src/openai/chat-request.js';
import { type ContextSizeInput, chooseContextSize } from '../../src/providers/ollama/context-size.js';
import { type OllamaRequestSettings, toOllamaChatRequest } from '../../src/providers/ollama/request.js';

const settings: OllamaRequestSettings = {
  model: 'qwen2.5-coder:7b',
  numCtx: 8192,
  keepAlive: '30m',
  downloadedImages: new Map([['https://example.com/cat.png', 'Y2F0']]),
};

const tools = [
  {
    type: 'function',
    function: { name: 'read_file', description: 'Read a file', parameters: { type: 'object' } },
  },
  { type: 'function', function: { name: 'list_dir', parameters: { type: 'object', properties: {} } } },
];

function toBody(wire: Record<string, unknown>) {
  return toOllamaChatRequest(parseChatRequest({ model: 'ollama/qwen2.5-coder:7b', ...wire }), settings);
}

describe('toOllamaChatRequest', () => {
  it('builds the native /api/chat body', () => {
    const body = toBody({
      messages: [
        { role: 'developer', content: 'You are a coding assistant.' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is in these? ' },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
            { type: 'image_url', image_url: { url: 'https://example.com/cat.png' } },
            { type: 'text', text: 'And read a.ts.' },
          ],
        },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            { id: 'call_1', type: 'function', function: { name: 'read_file', arguments: '{"path":"a.ts"}' } },
            { id: 'call_2', type: 'function', function: { name: 'list_dir', arguments: '' } },
          ],
        },
        { role: 'tool', tool_call_id: 'call_2', content: 'a.ts b.ts' },
        { role: 'tool', tool_call_id: 'call_1', content: 'export {}' },
        { role: 'tool', tool_call_id: 'call_unknown', content: 'orphan' },
      ],
      tools,
      max_completion_tokens: 512,
      max_tokens: 9999,
      temperature: 0.2,
      top_p: 0.9,
      seed: 42,
      stop: '```',
      frequency_penalty: 0.5,
      presence_penalty: -0.5,
      response_format: { type: 'json_object' },
      stream: false,
    });
    expect(body).toMatchInlineSnapshot(`
      {
        "format": "json",
        "keep_alive": "30m",
        "messages": [
          {
            "content": "You are a coding assistant.",
            "role": "system",
          },
          {
            "content": "What is in these? And read a.ts.",
            "images": [
              "iVBORw0KGgo=",
              "Y2F0",
            ],
            "role": "user",
          },
          {
            "content": "",
            "role": "assistant",
            "tool_calls": [
              {
                "function": {
                  "arguments": {
                    "path": "a.ts",
                  },
                  "name": "read_file",
                },
              },
              {
                "function": {
                  "arguments": {},
                  "name": "list_dir",
                },
              },
            ],
          },
          {
            "content": "a.ts b.ts",
            "role": "tool",
            "tool_name": "list_dir",
          },
          {
            "content": "export {}",
            "role": "tool",
            "tool_name": "read_file",
          },
          {
            "content": "orphan",
            "role": "tool",
          },
        ],
        "model": "qwen2.5-coder:7b",
        "options": {
          "frequency_penalty": 0.5,
          "num_ctx": 8192,
          "num_predict": 512,
          "presence_penalty": -0.5,
          "seed": 42,
          "stop": [
            "\`\`\`",
          ],
          "temperature": 0.2,
          "top_p": 0.9,
        },
        "stream": true,
        "tools": [
          {
            "function": {
              "description": "Read a file",
              "name": "read_file",
              "parameters": {
                "type": "object",
              },
            },
            "type": "function",
          },
          {
            "function": {
              "name": "list_dir",
              "parameters": {
                "properties": {},
                "type": "object",
              },
            },
            "type": "function",
          },
        ],
      }
    `);
  });

  it('sends a json_schema response format as the schema itself', () => {
    const schema = { type: 'object', properties: { answer: { type: 'string' } }, required: ['answer'] };
    const body = toBody({
      messages: [{ role: 'user', content: 'x' }],
      response_format: { type: 'json_schema', json_schema: { name: 'a', schema } },
    });
    expect(body.format).toEqual(schema);
    expect(toBody({ messages: [{ role: 'user', content: 'x' }] })).not.toHaveProperty('format');
  });

  it('honours tool_choice: none sends no tools, a named function sends only it, required sends all', () => {
    const messages = [{ role: 'user', content: 'x' }];
    expect(toBody({ messages, tools, tool_choice: 'none' })).not.toHaveProperty('tools');
    const named = toBody({
      messages,
      tools,
      tool_choice: { type: 'function', function: { name: 'list_dir' } },
    });
    expect(named.tools?.map((tool) => tool.function.name)).toEqual(['list_dir']);
    expect(
      toBody({ messages, tools, tool_choice: 'required' }).tools?.map((tool) => tool.function.name),
    ).toEqual(['read_file', 'list_dir']);
    expect(toBody({ messages, tools }).tools).toHaveLength(2);
    expect(toBody({ messages })).not.toHaveProperty('tools');
  });

  it('names the tool of a tool result from the matching call id, across several turns', () => {
    const body = toBody({
      messages: [
        { role: 'user', content: 'x' },
        {
          role: 'assistant',
          content: '',
          tool_calls: [{ id: 'a', function: { name: 'read_file', arguments: '{}' } }],
        },
        { role: 'tool', tool_call_id: 'a', content: '1' },
        {
          role: 'assistant',
          content: '',
          tool_calls: [{ id: 'b', function: { name: 'list_dir', arguments: '{}' } }],
        },
        { role: 'tool', tool_call_id: 'b', content: '2' },
      ],
    });
    expect(body.messages?.filter((message) => message.role === 'tool')).toEqual([
      { role: 'tool', content: '1', tool_name: 'read_file' },
      { role: 'tool', content: '2', tool_name: 'list_dir' },
    ]);
  });

  it.each([
    ['not JSON', '{"path":'],
    ['a JSON array', '[1,2]'],
    ['a JSON string', '"a.ts"'],
    ['JSON null', 'null'],
  ])('rejects tool-call arguments that are %s with a 400 naming the field', (_what, text) => {
    const call = () =>
      toBody({
        messages: [
          { role: 'user', content: 'x' },
          {
            role: 'assistant',
            content: '',
            tool_calls: [
              { id: 'ok', function: { name: 'list_dir', arguments: '{}' } },
              { id: 'bad', function: { name: 'read_file', arguments: text } },
            ],
          },
        ],
      });
    expect(call).toThrow(GatewayError);
    expect(call).toThrow(
      expect.objectContaining({ status: 400, param: 'messages.1.tool_calls.1.function.arguments' }),
    );
  });

  it('leaves out an image given by URL that was not downloaded', () => {
    const body = toOllamaChatRequest(
      parseChatRequest({
        model: 'm',
        messages: [
          { role: 'user', content: [{ type: 'image_url', image_url: 'https://example.com/other.png' }] },
        ],
      }),
      settings,
    );
    expect(body.messages?.[0]).toEqual({ role: 'user', content: '' });
  });
});

describe('chooseContextSize', () => {
  const input = (overrides: Partial<ContextSizeInput>): ContextSizeInput => ({
    estimatedPromptTokens: 100,
    outputTokens: 100,
    modelContextLength: 32_768,
    previous: undefined,
    minimum: 4096,
    step: 2048,
    ...overrides,
  });

  it('uses the minimum for a small prompt', () => {
    expect(chooseContextSize(input({}))).toEqual({ fits: true, numCtx: 4096 });
  });

  it('grows in whole steps to cover prompt plus output', () => {
    expect(chooseContextSize(input({ estimatedPromptTokens: 5000, outputTokens: 1000 }))).toEqual({
      fits: true,
      numCtx: 6144,
    });
    expect(chooseContextSize(input({ estimatedPromptTokens: 5144, outputTokens: 1000 }))).toEqual({
      fits: true,
      numCtx: 6144,
    });
    expect(chooseContextSize(input({ estimatedPromptTokens: 5145, outputTokens: 1000 }))).toEqual({
      fits: true,
      numCtx: 8192,
    });
  });

  it('keeps the previous size when it suffices, even if a smaller one would do', () => {
    expect(chooseContextSize(input({ previous: 16_384 }))).toEqual({ fits: true, numCtx: 16_384 });
    expect(chooseContextSize(input({ previous: 16_384, modelContextLength: undefined }))).toEqual({
      fits: true,
      numCtx: 16_384,
    });
    // Exactly enough is enough: an off-step size that fits is kept rather than rounded to a new one.
    expect(
      chooseContextSize(input({ previous: 5000, estimatedPromptTokens: 4000, outputTokens: 1000 })),
    ).toEqual({
      fits: true,
      numCtx: 5000,
    });
  });

  it('grows past a previous size that no longer suffices', () => {
    expect(
      chooseContextSize(input({ previous: 4096, estimatedPromptTokens: 9000, outputTokens: 1000 })),
    ).toEqual({
      fits: true,
      numCtx: 10_240,
    });
  });

  it("caps at the model's context length", () => {
    expect(chooseContextSize(input({ estimatedPromptTokens: 30_000, outputTokens: 4000 }))).toEqual({
      fits: true,
      numCtx: 32_768,
    });
    expect(chooseContextSize(input({ modelContextLength: 2048 }))).toEqual({ fits: true, numCtx: 2048 });
    expect(chooseContextSize(input({ previous: 65_536 }))).toEqual({ fits: true, numCtx: 32_768 });
  });

  it('does not cap when the context length is unknown', () => {
    expect(
      chooseContextSize(
        input({ modelContextLength: undefined, estimatedPromptTokens: 100_000, outputTokens: 0 }),
      ),
    ).toEqual({ fits: true, numCtx: 100_352 });
  });

  it('reports an overflow when the prompt alone reaches the context length', () => {
    expect(chooseContextSize(input({ estimatedPromptTokens: 32_768, outputTokens: 500 }))).toEqual({
      fits: false,
      needed: 33_268,
      modelContextLength: 32_768,
    });
    expect(chooseContextSize(input({ estimatedPromptTokens: 40_000, previous: 65_536 })).fits).toBe(false);
    // One token short of the context length still fits; the output budget is what gets squeezed.
    expect(chooseContextSize(input({ estimatedPromptTokens: 32_767, outputTokens: 500 }))).toEqual({
      fits: true,
      numCtx: 32_768,
    });
  });
});
