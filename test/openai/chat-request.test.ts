/**
 * @module test/openai/chat-request
 * The inbound edge: OpenAI chat requests validated and normalised into the one internal request type.
 * Errors must be 400s that name the field at fault, as the OpenAI SDK reports `param`.
 */
import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../src/errors.js';
import { type ChatRequest, parseChatRequest, requestText } from '../../src/openai/chat-request.js';

const user = (content: unknown) => ({ role: 'user', content });
const body = (extra: Record<string, unknown> = {}) => ({ model: 'auto', messages: [user('hi')], ...extra });

/** Runs `parseChatRequest` expecting a GatewayError, and returns it. */
function rejection(input: unknown): GatewayError {
  try {
    parseChatRequest(input);
  } catch (error) {
    expect(error).toBeInstanceOf(GatewayError);
    return error as GatewayError;
  }
  throw new Error('expected parseChatRequest to throw');
}

const weatherTool = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Weather for a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
};

describe('parseChatRequest: normalisation', () => {
  it('normalises a minimal request with defaults', () => {
    expect(parseChatRequest(body())).toEqual<ChatRequest>({
      model: 'auto',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }],
      stream: false,
      includeUsage: false,
      tools: [],
    });
  });

  it('folds developer into system and joins text parts of text-only roles', () => {
    const request = parseChatRequest(
      body({
        messages: [
          { role: 'developer', content: 'Be terse.' },
          {
            role: 'system',
            content: [
              { type: 'text', text: 'A' },
              { type: 'text', text: 'B' },
            ],
          },
          { role: 'assistant', content: null },
          user('hi'),
        ],
      }),
    );
    expect(request.messages).toEqual([
      { role: 'system', content: 'Be terse.' },
      { role: 'system', content: 'AB' },
      { role: 'assistant', content: '', toolCalls: [] },
      { role: 'user', content: [{ type: 'text', text: 'hi' }] },
    ]);
  });

  it('turns a data URL into a base64 image source and keeps an https URL as a URL', () => {
    const request = parseChatRequest(
      body({
        messages: [
          user([
            { type: 'text', text: 'What is this?' },
            { type: 'image_url', image_url: { url: 'data:Image/PNG;base64,iVBORw0KGgo=', detail: 'high' } },
            { type: 'image_url', image_url: 'https://example.com/cat.jpg' },
            { type: 'image_url', image_url: { url: 'HTTP://example.com/dog.webp' } },
          ]),
        ],
      }),
    );
    expect(request.messages[0]).toEqual({
      role: 'user',
      content: [
        { type: 'text', text: 'What is this?' },
        { type: 'image', source: { kind: 'base64', mediaType: 'image/png', data: 'iVBORw0KGgo=' } },
        { type: 'image', source: { kind: 'url', url: 'https://example.com/cat.jpg' } },
        { type: 'image', source: { kind: 'url', url: 'HTTP://example.com/dog.webp' } },
      ],
    });
  });

  it('carries assistant tool calls and tool results by call id', () => {
    const request = parseChatRequest(
      body({
        messages: [
          user('weather?'),
          {
            role: 'assistant',
            content: null,
            tool_calls: [
              {
                id: 'call_1',
                type: 'function',
                function: { name: 'get_weather', arguments: '{"city":"Oslo"}' },
              },
              { id: 'call_2', function: { name: 'get_weather', arguments: '{"city":"Rome"}' } },
            ],
          },
          { role: 'tool', tool_call_id: 'call_1', content: '12°C' },
          { role: 'tool', tool_call_id: 'call_2', content: [{ type: 'text', text: '25°C' }] },
        ],
        tools: [weatherTool],
      }),
    );
    expect(request.messages.slice(1)).toEqual([
      {
        role: 'assistant',
        content: '',
        toolCalls: [
          { id: 'call_1', name: 'get_weather', arguments: '{"city":"Oslo"}' },
          { id: 'call_2', name: 'get_weather', arguments: '{"city":"Rome"}' },
        ],
      },
      { role: 'tool', toolCallId: 'call_1', content: '12°C' },
      { role: 'tool', toolCallId: 'call_2', content: '25°C' },
    ]);
    expect(request.tools).toEqual([
      {
        name: 'get_weather',
        description: 'Weather for a city',
        parameters: weatherTool.function.parameters,
      },
    ]);
  });

  it('gives a tool without parameters an empty object schema', () => {
    const request = parseChatRequest(body({ tools: [{ type: 'function', function: { name: 'now' } }] }));
    expect(request.tools).toEqual([{ name: 'now', parameters: { type: 'object', properties: {} } }]);
  });

  it('prefers max_completion_tokens over max_tokens, and falls back when it is null', () => {
    expect(parseChatRequest(body({ max_tokens: 100, max_completion_tokens: 50 })).maxTokens).toBe(50);
    expect(parseChatRequest(body({ max_tokens: 100, max_completion_tokens: null })).maxTokens).toBe(100);
    expect(parseChatRequest(body({ max_tokens: 100 })).maxTokens).toBe(100);
    expect(parseChatRequest(body()).maxTokens).toBeUndefined();
  });

  it('maps sampling fields, and makes a stop string an array', () => {
    const request = parseChatRequest(
      body({
        temperature: 0,
        top_p: 0.5,
        seed: 7,
        stop: 'END',
        frequency_penalty: -1,
        presence_penalty: 1.5,
      }),
    );
    expect(request).toMatchObject({
      temperature: 0,
      topP: 0.5,
      seed: 7,
      stop: ['END'],
      frequencyPenalty: -1,
      presencePenalty: 1.5,
    });
    expect(parseChatRequest(body({ stop: ['a', 'b'] })).stop).toEqual(['a', 'b']);
    expect(parseChatRequest(body({ stop: null, temperature: null })).stop).toBeUndefined();
  });

  it('includes usage only for a stream that asked for it', () => {
    expect(parseChatRequest(body({ stream: true, stream_options: { include_usage: true } }))).toMatchObject({
      stream: true,
      includeUsage: true,
    });
    expect(parseChatRequest(body({ stream: true })).includeUsage).toBe(false);
    expect(
      parseChatRequest(body({ stream: false, stream_options: { include_usage: true } })).includeUsage,
    ).toBe(false);
  });

  it('normalises every response_format variant', () => {
    expect(parseChatRequest(body({ response_format: { type: 'text' } })).responseFormat).toEqual({
      type: 'text',
    });
    expect(parseChatRequest(body({ response_format: { type: 'json_object' } })).responseFormat).toEqual({
      type: 'json_object',
    });
    const schema = { type: 'object', properties: { a: { type: 'number' } } };
    expect(
      parseChatRequest(
        body({ response_format: { type: 'json_schema', json_schema: { name: 'x', schema, strict: true } } }),
      ).responseFormat,
    ).toEqual({ type: 'json_schema', name: 'x', schema, strict: true });
    expect(
      parseChatRequest(body({ response_format: { type: 'json_schema', json_schema: { name: 'y' } } }))
        .responseFormat,
    ).toEqual({ type: 'json_schema', name: 'y', schema: { type: 'object' }, strict: false });
    expect(rejection(body({ response_format: { type: 'yaml' } })).param).toBe('response_format.type');
  });

  it('keeps tool_choice strings and a named function that is in tools', () => {
    expect(parseChatRequest(body({ tools: [weatherTool], tool_choice: 'required' })).toolChoice).toBe(
      'required',
    );
    expect(parseChatRequest(body({ tool_choice: 'none' })).toolChoice).toBe('none');
    const named = { type: 'function', function: { name: 'get_weather' } };
    expect(parseChatRequest(body({ tools: [weatherTool], tool_choice: named })).toolChoice).toEqual({
      name: 'get_weather',
    });
  });

  it('ignores unknown fields, as OpenAI does', () => {
    const request = parseChatRequest(
      body({ metadata: { a: 1 }, store: true, logit_bias: { 1: 2 }, messages: [{ ...user('x'), extra: 1 }] }),
    );
    expect(request.messages).toEqual([{ role: 'user', content: [{ type: 'text', text: 'x' }] }]);
    expect(Object.keys(request)).not.toContain('metadata');
  });
});

describe('parseChatRequest: errors name the field', () => {
  it.each([
    ['a missing model', { messages: [user('x')] }, 'model'],
    ['an empty model', { model: '', messages: [user('x')] }, 'model'],
    ['no messages', { model: 'auto', messages: [] }, 'messages'],
    ['messages not an array', { model: 'auto', messages: 'hi' }, 'messages'],
    ['an unknown role', { model: 'auto', messages: [{ role: 'robot', content: 'x' }] }, 'messages.0.role'],
    [
      'a tool message without its call id',
      { model: 'auto', messages: [{ role: 'tool', content: 'x' }] },
      'messages.0.tool_call_id',
    ],
    ['temperature above 2', body({ temperature: 3 }), 'temperature'],
    ['a fractional max_tokens', body({ max_tokens: 1.5 }), 'max_tokens'],
    ['n of 0', body({ n: 0 }), 'n'],
    [
      'a tool with an empty name',
      body({ tools: [{ type: 'function', function: { name: '' } }] }),
      'tools.0.function.name',
    ],
  ])('rejects %s with param %s', (_what, input, param) => {
    const error = rejection(input);
    expect(error.status).toBe(400);
    expect(error.type).toBe('invalid_request_error');
    expect(error.param).toBe(param);
    expect(error.message).toContain(`\`${param}\``);
  });

  it('rejects a body that is not an object', () => {
    expect(rejection(null).status).toBe(400);
    expect(rejection('hello').status).toBe(400);
  });

  it('rejects n > 1 as an unsupported parameter and accepts n = 1', () => {
    const error = rejection(body({ n: 2 }));
    expect(error).toMatchObject({ status: 400, param: 'n', code: 'unsupported_parameter' });
    expect(error.message).toMatch(/n=2/);
    expect(parseChatRequest(body({ n: 1 })).model).toBe('auto');
  });

  it('rejects a named tool_choice that is not in tools', () => {
    const error = rejection(
      body({ tools: [weatherTool], tool_choice: { type: 'function', function: { name: 'get_time' } } }),
    );
    expect(error).toMatchObject({ status: 400, param: 'tool_choice' });
    expect(error.message).toContain('get_time');
  });

  it('rejects an image that is neither a data URL nor http(s), naming the url path', () => {
    const messages = [
      { role: 'system', content: 'x' },
      user([
        { type: 'text', text: 'look' },
        { type: 'image_url', image_url: { url: 'file:///etc/passwd' } },
      ]),
    ];
    const error = rejection(body({ messages }));
    expect(error).toMatchObject({ status: 400, param: 'messages.1.content.1.image_url.url' });
    expect(
      rejection(body({ messages: [user([{ type: 'image_url', image_url: 'data:image/png,raw' }])] })).param,
    ).toBe('messages.0.content.0.image_url.url');
  });

  it('rejects malformed image and text parts as 400s, not crashes', () => {
    for (const imageUrl of [null, {}, { url: 5 }, 42]) {
      const error = rejection(body({ messages: [user([{ type: 'image_url', image_url: imageUrl }])] }));
      expect(error).toMatchObject({ status: 400, param: 'messages.0.content.0.image_url.url' });
    }
    expect(rejection(body({ messages: [user([{ type: 'image_url' }])] })).param).toBe(
      'messages.0.content.0.image_url.url',
    );
    expect(rejection(body({ messages: [user([{ type: 'text', text: 5 }])] })).param).toBe(
      'messages.0.content.0.text',
    );
  });

  it('rejects unsupported content part types, naming the part', () => {
    const error = rejection(body({ messages: [user([{ type: 'input_audio', input_audio: {} }])] }));
    expect(error).toMatchObject({ status: 400, param: 'messages.0.content.0.type' });
    expect(error.message).toContain('input_audio');
  });

  it('accepts images only in user messages', () => {
    const image = { type: 'image_url', image_url: { url: 'https://example.com/a.png' } };
    for (const role of ['system', 'developer', 'assistant']) {
      const error = rejection(body({ messages: [user('x'), { role, content: [image] }] }));
      expect(error).toMatchObject({ status: 400, param: 'messages.1.content' });
      expect(error.message).toMatch(/only accepted in user messages/);
    }
    const error = rejection(body({ messages: [{ role: 'tool', tool_call_id: 'c', content: [image] }] }));
    expect(error.param).toBe('messages.0.content');
  });
});

describe('requestText', () => {
  it('joins every text of the request, tool call arguments included, and skips images', () => {
    const request = parseChatRequest(
      body({
        messages: [
          { role: 'system', content: 'sys' },
          user([
            { type: 'text', text: 'look' },
            { type: 'image_url', image_url: 'https://example.com/a.png' },
            { type: 'text', text: 'here' },
          ]),
          {
            role: 'assistant',
            content: 'calling',
            tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{"q":1}' } }],
          },
          { role: 'tool', tool_call_id: 'c1', content: 'result' },
        ],
      }),
    );
    expect(requestText(request)).toBe('sys\nlook\nhere\ncalling\n{"q":1}\nresult');
  });
});
