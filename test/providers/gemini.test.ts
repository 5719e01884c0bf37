/**
 * @module test/providers/gemini
 * The Gemini adapter against a tiny `node:http` server that replays Gemini's wire format (SSE chunks
 * and error bodies transcribed from the Gemini API documentation and real responses), so that every
 * case is exact and deterministic: the outgoing request body, each event mapping, each error mapping,
 * abort and timeout behaviour. The bench simulator covers the same adapter end to end in
 * `gemini-simulator.test.ts`.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { GatewayError } from '../../src/errors.js';
import { type ChatRequest, parseChatRequest } from '../../src/openai/chat-request.js';
import { createGeminiProvider } from '../../src/providers/gemini.js';
import type { ChatEvent, ProviderAdapter } from '../../src/providers/provider.js';

const apiKey = 'AIzaTEST-secret-key-0123456789';

/** One scripted upstream answer. */
type Reply =
  | { kind: 'json'; status: number; body: unknown }
  | { kind: 'sse'; chunks: unknown[]; thenStall?: boolean; thenCut?: boolean };

interface Recorded {
  path: string;
  headers: IncomingHttpHeaders;
  body: unknown;
}

let server: Server;
let baseUrl: string;
let replies: Reply[] = [];
let recorded: Recorded[] = [];
/** Resolves when the server sees the client close a stalled response. */
let closedByClient: Promise<void> = Promise.resolve();
let markClosed: () => void = () => {};

beforeAll(async () => {
  server = createServer((request, response) => {
    const parts: Buffer[] = [];
    request.on('data', (chunk: Buffer) => parts.push(chunk));
    request.on('end', () => {
      const text = Buffer.concat(parts).toString('utf8');
      recorded.push({
        path: request.url ?? '',
        headers: request.headers,
        body: text ? JSON.parse(text) : undefined,
      });
      const reply = replies.shift() ?? {
        kind: 'json',
        status: 500,
        body: { error: { message: 'no reply scripted' } },
      };
      if (reply.kind === 'json') {
        response.writeHead(reply.status, { 'content-type': 'application/json; charset=UTF-8' });
        response.end(JSON.stringify(reply.body));
        return;
      }
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      for (const chunk of reply.chunks) response.write(`data: ${JSON.stringify(chunk)}\r\n\r\n`);
      if (reply.thenCut) {
        // Let the chunks reach the client first: the cut must land in an open stream.
        setTimeout(() => response.destroy(), 50);
      } else if (reply.thenStall) {
        response.on('close', () => markClosed());
      } else {
        response.end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  replies = [];
  recorded = [];
  closedByClient = new Promise((resolve) => {
    markClosed = resolve;
  });
});

const geminiConfig = configSchema.parse({}).gemini;

function provider(
  overrides: { env?: Record<string, string | undefined>; timeoutMs?: number } = {},
): ProviderAdapter {
  return createGeminiProvider({
    config: { ...geminiConfig, timeout_ms: overrides.timeoutMs ?? geminiConfig.timeout_ms },
    env: overrides.env ?? { GEMINI_API_KEY: apiKey, GEMINI_BASE_URL: baseUrl },
  });
}

function simpleRequest(text = 'Hi'): ChatRequest {
  return parseChatRequest({ model: 'gemini/gemini-2.5-flash', messages: [{ role: 'user', content: text }] });
}

async function collect(
  adapter: ProviderAdapter,
  request: ChatRequest,
  model = 'gemini-2.5-flash',
  signal = new AbortController().signal,
): Promise<ChatEvent[]> {
  const events: ChatEvent[] = [];
  for await (const event of adapter.chat(request, { model, signal, requestId: 'req_1' })) events.push(event);
  return events;
}

async function failure(promise: Promise<unknown>): Promise<GatewayError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(GatewayError);
  return error as GatewayError;
}

const usageMetadata = {
  promptTokenCount: 12,
  candidatesTokenCount: 5,
  totalTokenCount: 17,
  promptTokensDetails: [{ modality: 'TEXT', tokenCount: 12 }],
};

function textChunk(text: string, extra: Record<string, unknown> = {}, usage: unknown = usageMetadata) {
  return {
    candidates: [{ content: { parts: [{ text }], role: 'model' }, index: 0, ...extra }],
    usageMetadata: usage,
    modelVersion: 'gemini-2.5-flash',
    responseId: 'resp-1',
  };
}

describe('configuration', () => {
  it('is disabled without a key, and says which variable to export', async () => {
    const adapter = provider({ env: { GEMINI_BASE_URL: baseUrl } });
    expect(adapter.id).toBe('gemini');
    expect(adapter.locality).toBe('cloud');
    expect(adapter.disabledReason).toBe(
      'GEMINI_API_KEY (or GOOGLE_API_KEY) is not set — export it to use Gemini',
    );
    expect(await adapter.health()).toEqual({ status: 'disabled', message: adapter.disabledReason });
    expect(await adapter.listModels()).toEqual([]);
    const error = await failure(collect(adapter, simpleRequest()));
    expect(error.kind).toBe('provider_disabled');
    expect(error.provider).toBe('gemini');
    expect(recorded).toHaveLength(0);
  });

  it('reads GOOGLE_API_KEY and GOOGLE_GEMINI_BASE_URL, lists configured models and is ready without a call', async () => {
    const adapter = provider({ env: { GOOGLE_API_KEY: apiKey, GOOGLE_GEMINI_BASE_URL: baseUrl } });
    expect(adapter.disabledReason).toBeUndefined();
    expect(await adapter.health()).toEqual({ status: 'ready' });
    expect(await adapter.listModels()).toEqual([
      { name: 'gemini-2.5-flash', contextLength: 1_048_576 },
      { name: 'gemini-2.5-pro', contextLength: 1_048_576 },
    ]);
    expect(recorded).toHaveLength(0);
    replies.push({ kind: 'sse', chunks: [textChunk('ok', { finishReason: 'STOP' })] });
    await collect(adapter, simpleRequest());
    expect(recorded[0]?.path).toBe('/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse');
    expect(recorded[0]?.headers['x-goog-api-key']).toBe(apiKey);
  });

  it('prices usage from the configured prices', () => {
    const adapter = provider();
    expect(
      adapter.costOf('gemini-2.5-pro', { promptTokens: 1_000_000, completionTokens: 100_000 }),
    ).toBeCloseTo(2.25);
    expect(adapter.costOf('gemini-unknown', { promptTokens: 10, completionTokens: 10 })).toBeUndefined();
  });

  it('prices implicit-cache hits (cachedContentTokenCount, part of the prompt) at 0.1× the input price', () => {
    const adapter = provider();
    // gemini-2.5-pro: $1.25 input, $10 output per million; 800k of the 1M prompt tokens were cached.
    const usage = { promptTokens: 1_000_000, cachedPromptTokens: 800_000, completionTokens: 100_000 };
    expect(adapter.costOf('gemini-2.5-pro', usage)).toBeCloseTo(0.2 * 1.25 + 0.8 * 0.125 + 1);
  });

  it('prices cached tokens at a configured cache_read_per_million instead', () => {
    const adapter = createGeminiProvider({
      config: {
        ...geminiConfig,
        models: [
          {
            name: 'gemini-2.0-flash',
            price: { input_per_million: 0.1, output_per_million: 0.4, cache_read_per_million: 0.025 },
          },
        ],
      },
      env: {},
    });
    const usage = { promptTokens: 1_000_000, cachedPromptTokens: 1_000_000, completionTokens: 0 };
    expect(adapter.costOf('gemini-2.0-flash', usage)).toBeCloseTo(0.025);
  });
});

describe('request translation', () => {
  it('translates a rich request', async () => {
    const request = parseChatRequest({
      model: 'gemini/gemini-2.5-flash',
      messages: [
        { role: 'system', content: 'You are terse.' },
        { role: 'developer', content: 'Use metric units.' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is the weather here and in Rome?' },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
            { type: 'image_url', image_url: { url: 'https://example.com/photos/street.webp?size=large' } },
          ],
        },
        {
          role: 'assistant',
          content: 'Checking both.',
          tool_calls: [
            {
              id: 'call_a',
              type: 'function',
              function: { name: 'get_weather', arguments: '{"city":"Paris"}' },
            },
            {
              id: 'call_b',
              type: 'function',
              function: { name: 'get_weather', arguments: '{"city":"Rome"}' },
            },
          ],
        },
        { role: 'tool', tool_call_id: 'call_a', content: '{"celsius":21}' },
        { role: 'tool', tool_call_id: 'call_b', content: 'sunny, 25 degrees' },
        { role: 'user', content: 'Thanks. Which is warmer?' },
      ],
      max_tokens: 256,
      temperature: 0.2,
      top_p: 0.9,
      seed: 7,
      stop: ['END'],
      presence_penalty: 0.5,
      frequency_penalty: 0.25,
      tools: [
        {
          type: 'function',
          function: {
            name: 'get_weather',
            description: 'Current weather for a city',
            parameters: {
              $schema: 'http://json-schema.org/draft-07/schema#',
              type: 'object',
              additionalProperties: false,
              properties: {
                city: { type: 'string', description: 'City name' },
                unit: { type: ['string', 'null'], enum: ['celsius', 'fahrenheit', null] },
              },
              required: ['city', 'unit'],
            },
          },
        },
        { type: 'function', function: { name: 'get_time', parameters: { type: 'object', properties: {} } } },
      ],
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
    });
    replies.push({ kind: 'sse', chunks: [textChunk('Rome.', { finishReason: 'STOP' })] });
    await collect(provider(), request);
    expect(recorded[0]?.body).toMatchInlineSnapshot(`
      {
        "contents": [
          {
            "parts": [
              {
                "text": "What is the weather here and in Rome?",
              },
              {
                "inlineData": {
                  "data": "iVBORw0KGgo=",
                  "mimeType": "image/png",
                },
              },
              {
                "fileData": {
                  "fileUri": "https://example.com/photos/street.webp?size=large",
                  "mimeType": "image/webp",
                },
              },
            ],
            "role": "user",
          },
          {
            "parts": [
              {
                "text": "Checking both.",
              },
              {
                "functionCall": {
                  "args": {
                    "city": "Paris",
                  },
                  "id": "call_a",
                  "name": "get_weather",
                },
              },
              {
                "functionCall": {
                  "args": {
                    "city": "Rome",
                  },
                  "id": "call_b",
                  "name": "get_weather",
                },
              },
            ],
            "role": "model",
          },
          {
            "parts": [
              {
                "functionResponse": {
                  "id": "call_a",
                  "name": "get_weather",
                  "response": {
                    "result": {
                      "celsius": 21,
                    },
                  },
                },
              },
              {
                "functionResponse": {
                  "id": "call_b",
                  "name": "get_weather",
                  "response": {
                    "result": "sunny, 25 degrees",
                  },
                },
              },
              {
                "text": "Thanks. Which is warmer?",
              },
            ],
            "role": "user",
          },
        ],
        "generationConfig": {
          "frequencyPenalty": 0.25,
          "maxOutputTokens": 256,
          "presencePenalty": 0.5,
          "seed": 7,
          "stopSequences": [
            "END",
          ],
          "temperature": 0.2,
          "thinkingConfig": {
            "includeThoughts": true,
          },
          "topP": 0.9,
        },
        "systemInstruction": {
          "parts": [
            {
              "text": "You are terse.

      Use metric units.",
            },
          ],
        },
        "toolConfig": {
          "functionCallingConfig": {
            "allowedFunctionNames": [
              "get_weather",
            ],
            "mode": "ANY",
          },
        },
        "tools": [
          {
            "functionDeclarations": [
              {
                "description": "Current weather for a city",
                "name": "get_weather",
                "parameters": {
                  "properties": {
                    "city": {
                      "description": "City name",
                      "type": "STRING",
                    },
                    "unit": {
                      "enum": [
                        "celsius",
                        "fahrenheit",
                      ],
                      "nullable": true,
                      "type": "STRING",
                    },
                  },
                  "required": [
                    "city",
                    "unit",
                  ],
                  "type": "OBJECT",
                },
              },
              {
                "name": "get_time",
              },
            ],
          },
        ],
      }
    `);
  });

  it('uses the default output budget, JSON mode and a converted response schema', async () => {
    const request = parseChatRequest({
      model: 'gemini/gemini-2.0-flash',
      messages: [{ role: 'user', content: 'List two colours' }],
      response_format: {
        type: 'json_schema',
        json_schema: {
          name: 'colours',
          schema: {
            type: 'object',
            properties: { colours: { type: 'array', items: { type: 'string' } } },
            required: ['colours'],
            additionalProperties: false,
          },
        },
      },
    });
    replies.push({
      kind: 'sse',
      chunks: [textChunk('{"colours":["red","blue"]}', { finishReason: 'STOP' })],
    });
    await collect(provider(), request, 'gemini-2.0-flash');
    expect(recorded[0]?.body).toMatchInlineSnapshot(`
      {
        "contents": [
          {
            "parts": [
              {
                "text": "List two colours",
              },
            ],
            "role": "user",
          },
        ],
        "generationConfig": {
          "maxOutputTokens": 4096,
          "responseMimeType": "application/json",
          "responseSchema": {
            "properties": {
              "colours": {
                "items": {
                  "type": "STRING",
                },
                "type": "ARRAY",
              },
            },
            "required": [
              "colours",
            ],
            "type": "OBJECT",
          },
        },
      }
    `);
  });

  it('maps tool_choice auto, none and required', async () => {
    const tools = [
      { type: 'function', function: { name: 'f', parameters: { type: 'object', properties: {} } } },
    ];
    for (const choice of ['auto', 'none', 'required'] as const) {
      replies.push({ kind: 'sse', chunks: [textChunk('x', { finishReason: 'STOP' })] });
      await collect(
        provider(),
        parseChatRequest({
          model: 'm',
          messages: [{ role: 'user', content: 'x' }],
          tools,
          tool_choice: choice,
        }),
      );
    }
    expect(recorded.map((entry) => (entry.body as { toolConfig: unknown }).toolConfig)).toEqual([
      { functionCallingConfig: { mode: 'AUTO' } },
      { functionCallingConfig: { mode: 'NONE' } },
      { functionCallingConfig: { mode: 'ANY' } },
    ]);
  });

  it('signs replayed function calls for Gemini 3, which rejects unsigned ones', async () => {
    const request = parseChatRequest({
      model: 'm',
      messages: [
        { role: 'user', content: 'x' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: 'c1', function: { name: 'f', arguments: '' } }],
        },
        { role: 'tool', tool_call_id: 'c1', content: 'done' },
      ],
    });
    replies.push({ kind: 'sse', chunks: [textChunk('x', { finishReason: 'STOP' })] });
    await collect(provider(), request, 'gemini-3-pro-preview');
    const body = recorded[0]?.body as { contents: Array<{ parts: unknown[] }> };
    expect(body.contents[1]?.parts).toEqual([
      {
        functionCall: { id: 'c1', name: 'f', args: {} },
        thoughtSignature: 'skip_thought_signature_validator',
      },
    ]);
  });

  it('refuses tool call arguments that are not JSON, naming the field, without calling Gemini', async () => {
    const request = parseChatRequest({
      model: 'm',
      messages: [
        { role: 'user', content: 'x' },
        {
          role: 'assistant',
          content: '',
          tool_calls: [{ id: 'c1', function: { name: 'f', arguments: '{oops' } }],
        },
        { role: 'tool', tool_call_id: 'c1', content: 'r' },
      ],
    });
    const error = await failure(collect(provider(), request));
    expect(error.kind).toBe('invalid_request');
    expect(error.param).toBe('messages.1.tool_calls.0.function.arguments');
    expect(recorded).toHaveLength(0);
  });

  it('refuses a tool result whose call it cannot find', async () => {
    const request = parseChatRequest({
      model: 'm',
      messages: [
        { role: 'user', content: 'x' },
        { role: 'tool', tool_call_id: 'nope', content: 'r' },
      ],
    });
    const error = await failure(collect(provider(), request));
    expect(error.kind).toBe('invalid_request');
    expect(error.param).toBe('messages.1.tool_call_id');
  });
});

describe('response translation', () => {
  it('streams text, then one finish with usage including cached and thinking tokens', async () => {
    replies.push({
      kind: 'sse',
      chunks: [
        textChunk('Hello'),
        textChunk(
          ', world',
          { finishReason: 'STOP' },
          {
            promptTokenCount: 12,
            candidatesTokenCount: 3,
            thoughtsTokenCount: 40,
            cachedContentTokenCount: 8,
            totalTokenCount: 55,
          },
        ),
      ],
    });
    expect(await collect(provider(), simpleRequest())).toEqual([
      { type: 'text-delta', text: 'Hello' },
      { type: 'text-delta', text: ', world' },
      {
        type: 'finish',
        finishReason: 'stop',
        usage: { promptTokens: 12, completionTokens: 43, cachedPromptTokens: 8, reasoningTokens: 40 },
      },
    ]);
  });

  it('turns thought parts into reasoning deltas', async () => {
    replies.push({
      kind: 'sse',
      chunks: [
        {
          candidates: [
            {
              content: {
                parts: [{ text: '**Weighing options**\n\nThe user wants…', thought: true }],
                role: 'model',
              },
            },
          ],
        },
        textChunk('Answer.', { finishReason: 'STOP' }),
      ],
    });
    const events = await collect(provider(), simpleRequest());
    expect(events.slice(0, 2)).toEqual([
      { type: 'reasoning-delta', text: '**Weighing options**\n\nThe user wants…' },
      { type: 'text-delta', text: 'Answer.' },
    ]);
  });

  it('turns whole function calls into tool-call events with valid JSON and finishes with tool_calls', async () => {
    replies.push({
      kind: 'sse',
      chunks: [
        {
          candidates: [
            {
              content: {
                parts: [
                  {
                    functionCall: { name: 'get_weather', args: { city: 'Paris', days: 2 } },
                    thoughtSignature: 'CiQB',
                  },
                  { functionCall: { id: 'fc_7', name: 'get_time', args: {} } },
                ],
                role: 'model',
              },
              finishReason: 'STOP',
              index: 0,
            },
          ],
          usageMetadata,
        },
      ],
    });
    const events = await collect(provider(), simpleRequest());
    const [first, firstArgs, second, secondArgs, finish] = events;
    expect(first).toMatchObject({ type: 'tool-call-start', index: 0, name: 'get_weather' });
    expect(first?.type === 'tool-call-start' && first.id).toMatch(/^call_[0-9a-f]{24}$/);
    expect(firstArgs).toEqual({
      type: 'tool-call-delta',
      index: 0,
      argumentsDelta: '{"city":"Paris","days":2}',
    });
    expect(second).toEqual({ type: 'tool-call-start', index: 1, id: 'fc_7', name: 'get_time' });
    expect(secondArgs).toEqual({ type: 'tool-call-delta', index: 1, argumentsDelta: '{}' });
    expect(JSON.parse(firstArgs?.type === 'tool-call-delta' ? firstArgs.argumentsDelta : '')).toEqual({
      city: 'Paris',
      days: 2,
    });
    expect(finish).toMatchObject({ type: 'finish', finishReason: 'tool_calls' });
    expect(events).toHaveLength(5);
  });

  it.each([
    ['MAX_TOKENS', 'length'],
    ['SAFETY', 'content_filter'],
    ['RECITATION', 'content_filter'],
    ['BLOCKLIST', 'content_filter'],
    ['PROHIBITED_CONTENT', 'content_filter'],
    ['SPII', 'content_filter'],
    ['OTHER', 'stop'],
  ])('maps finishReason %s to %s', async (reason, expected) => {
    replies.push({ kind: 'sse', chunks: [textChunk('partial', { finishReason: reason })] });
    const events = await collect(provider(), simpleRequest());
    expect(events.at(-1)).toMatchObject({ type: 'finish', finishReason: expected });
    expect(events.filter((event) => event.type === 'finish')).toHaveLength(1);
  });

  it('finishes a blocked prompt with content_filter', async () => {
    replies.push({
      kind: 'sse',
      chunks: [
        {
          promptFeedback: { blockReason: 'PROHIBITED_CONTENT' },
          usageMetadata: { promptTokenCount: 8, totalTokenCount: 8 },
          modelVersion: 'gemini-2.5-flash',
        },
      ],
    });
    expect(await collect(provider(), simpleRequest())).toEqual([
      { type: 'finish', finishReason: 'content_filter', usage: { promptTokens: 8, completionTokens: 0 } },
    ]);
  });

  it('reports a stream that ends without a finishReason as stream_interrupted', async () => {
    replies.push({ kind: 'sse', chunks: [textChunk('Hel')] });
    const events: ChatEvent[] = [];
    const error = await failure(
      (async () => {
        for await (const event of provider().chat(simpleRequest(), {
          model: 'gemini-2.5-flash',
          signal: new AbortController().signal,
          requestId: 'r',
        })) {
          events.push(event);
        }
      })(),
    );
    expect(events).toEqual([{ type: 'text-delta', text: 'Hel' }]);
    expect(error.kind).toBe('stream_interrupted');
    expect(error.provider).toBe('gemini');
  });

  it('reports a connection cut mid-stream as stream_interrupted', async () => {
    replies.push({ kind: 'sse', chunks: [textChunk('Hel')], thenCut: true });
    const error = await failure(collect(provider(), simpleRequest()));
    expect(error.kind).toBe('stream_interrupted');
  });
});

/** Error bodies as the Gemini API sends them. */
const errorBodies = {
  invalidKey: {
    error: {
      code: 400,
      message: 'API key not valid. Please pass a valid API key.',
      status: 'INVALID_ARGUMENT',
      details: [
        {
          '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
          reason: 'API_KEY_INVALID',
          domain: 'googleapis.com',
          metadata: { service: 'generativelanguage.googleapis.com' },
        },
      ],
    },
  },
  badRequest: {
    error: {
      code: 400,
      message: `* GenerateContentRequest.tools[0].function_declarations[0].parameters.properties: should be non-empty for OBJECT type (key ${apiKey})\n`,
      status: 'INVALID_ARGUMENT',
    },
  },
  contextOverflow: {
    error: {
      code: 400,
      message: 'The input token count (1200000) exceeds the maximum number of tokens allowed (1048576).',
      status: 'INVALID_ARGUMENT',
    },
  },
  permissionDenied: {
    error: {
      code: 403,
      message: 'Generative Language API has not been used in project 123 before or it is disabled.',
      status: 'PERMISSION_DENIED',
    },
  },
  notFound: {
    error: {
      code: 404,
      message:
        'models/gemini-9-ultra is not found for API version v1beta, or is not supported for generateContent. Call ListModels to see the list of available models and their supported methods.',
      status: 'NOT_FOUND',
    },
  },
  quota: {
    error: {
      code: 429,
      message:
        'You exceeded your current quota, please check your plan and billing details. For more information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits. Please retry in 6.52s.',
      status: 'RESOURCE_EXHAUSTED',
      details: [
        {
          '@type': 'type.googleapis.com/google.rpc.QuotaFailure',
          violations: [
            { quotaMetric: 'generativelanguage.googleapis.com/generate_content_free_tier_requests' },
          ],
        },
        { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '6s' },
      ],
    },
  },
  quotaProseOnly: {
    error: { code: 429, message: 'Resource exhausted. Please retry in 2.1s.', status: 'RESOURCE_EXHAUSTED' },
  },
  overloaded: {
    error: { code: 503, message: 'The model is overloaded. Please try again later.', status: 'UNAVAILABLE' },
  },
  internal: {
    error: {
      code: 500,
      message:
        'An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting',
      status: 'INTERNAL',
    },
  },
};

describe('error mapping', () => {
  it.each([
    ['invalid key (400)', 400, errorBodies.invalidKey, 'authentication', 401],
    ['bad request', 400, errorBodies.badRequest, 'invalid_request', 400],
    ['context overflow', 400, errorBodies.contextOverflow, 'context_overflow', 400],
    ['permission denied', 403, errorBodies.permissionDenied, 'authentication', 403],
    ['unknown model', 404, errorBodies.notFound, 'model_not_found', 404],
    ['quota', 429, errorBodies.quota, 'rate_limited', 429],
    ['overloaded', 503, errorBodies.overloaded, 'overloaded', 503],
    ['internal', 500, errorBodies.internal, 'upstream_error', 500],
    [
      'request timeout',
      408,
      { error: { code: 408, message: 'Request timed out.', status: 'DEADLINE_EXCEEDED' } },
      'timeout',
      408,
    ],
  ])('maps %s to %s', async (_name, status, body, kind, wireStatus) => {
    replies.push({ kind: 'json', status, body });
    const error = await failure(collect(provider(), simpleRequest(), 'gemini-9-ultra'));
    expect(error.kind).toBe(kind);
    expect(error.status).toBe(wireStatus);
    expect(error.provider).toBe('gemini');
    expect(error.message).not.toContain(apiKey);
    // The SDK must not retry on its own: one upstream request per attempt.
    expect(recorded).toHaveLength(1);
  });

  it('tells what to do for the common failures', async () => {
    replies.push({ kind: 'json', status: 400, body: errorBodies.invalidKey });
    expect((await failure(collect(provider(), simpleRequest()))).message).toMatch(
      /^Gemini rejected GEMINI_API_KEY — check the key/,
    );
    replies.push({ kind: 'json', status: 404, body: errorBodies.notFound });
    expect((await failure(collect(provider(), simpleRequest(), 'gemini-9-ultra'))).message).toMatch(
      /^`gemini\/gemini-9-ultra` is not a Gemini model.*\/v1\/models/,
    );
    replies.push({ kind: 'json', status: 400, body: errorBodies.badRequest });
    expect((await failure(collect(provider(), simpleRequest()))).message).toContain('[redacted]');
  });

  it('names the variable the rejected key came from', async () => {
    replies.push({ kind: 'json', status: 400, body: errorBodies.invalidKey });
    const adapter = provider({ env: { GOOGLE_API_KEY: apiKey, GEMINI_BASE_URL: baseUrl } });
    expect((await failure(collect(adapter, simpleRequest()))).message).toMatch(
      /^Gemini rejected GOOGLE_API_KEY/,
    );
  });

  it('carries the wait a 429 asks for, from RetryInfo or else from the prose', async () => {
    replies.push({ kind: 'json', status: 429, body: errorBodies.quota });
    expect((await failure(collect(provider(), simpleRequest()))).retryAfterSeconds).toBe(6);
    replies.push({ kind: 'json', status: 429, body: errorBodies.quotaProseOnly });
    expect((await failure(collect(provider(), simpleRequest()))).retryAfterSeconds).toBe(3);
  });

  it('maps an error event inside an open stream by its code', async () => {
    replies.push({ kind: 'sse', chunks: [textChunk('Hi'), errorBodies.overloaded] });
    const error = await failure(collect(provider(), simpleRequest()));
    expect(error.kind).toBe('overloaded');
  });

  it('reports a closed port as unreachable, naming the base URL', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const adapter = provider({
      env: { GEMINI_API_KEY: apiKey, GEMINI_BASE_URL: `http://127.0.0.1:${port}` },
    });
    const error = await failure(collect(adapter, simpleRequest()));
    expect(error.kind).toBe('unreachable');
    expect(error.message).toBe(
      `Gemini API is not reachable at http://127.0.0.1:${port} (ECONNREFUSED) — check network / GEMINI_BASE_URL.`,
    );
  });

  it('gives up after gemini.timeout_ms with a timeout error', async () => {
    replies.push({ kind: 'sse', chunks: [textChunk('slow')], thenStall: true });
    const error = await failure(collect(provider({ timeoutMs: 300 }), simpleRequest()));
    expect(error.kind).toBe('timeout');
    expect(error.message).toContain('gemini.timeout_ms');
    await closedByClient;
  });
});

describe('abort', () => {
  it('stops the upstream request when the signal aborts mid-stream, and rethrows the abort', async () => {
    replies.push({ kind: 'sse', chunks: [textChunk('first')], thenStall: true });
    const controller = new AbortController();
    const events: ChatEvent[] = [];
    const outcome = (async () => {
      for await (const event of provider().chat(simpleRequest(), {
        model: 'gemini-2.5-flash',
        signal: controller.signal,
        requestId: 'r',
      })) {
        events.push(event);
        controller.abort();
      }
    })().then(
      () => undefined,
      (error: unknown) => error,
    );
    const error = await outcome;
    expect(events).toEqual([{ type: 'text-delta', text: 'first' }]);
    expect(error).not.toBeInstanceOf(GatewayError);
    expect((error as Error).name).toBe('AbortError');
    await closedByClient;
  });

  it('stops the upstream request when the consumer stops reading', async () => {
    replies.push({ kind: 'sse', chunks: [textChunk('first')], thenStall: true });
    for await (const event of provider().chat(simpleRequest(), {
      model: 'gemini-2.5-flash',
      signal: new AbortController().signal,
      requestId: 'r',
    })) {
      expect(event.type).toBe('text-delta');
      break;
    }
    await closedByClient;
  });

  it('does not call Gemini when the signal is already aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    const error = await collect(provider(), simpleRequest(), 'gemini-2.5-flash', controller.signal).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect((error as Error).name).toBe('AbortError');
    expect(recorded).toHaveLength(0);
  });
});
