/**
 * @module test/providers/gemini-simulator
 * The Gemini adapter end to end against the bench's simulated Gemini API, which parses requests the
 * way the real service does (unknown schema keywords, empty OBJECT properties and out-of-order function
 * turns are 400s) and injects faults. This is where translation is proven acceptable to a strict
 * upstream, and where retries, aborts and cut streams meet a real socket.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type GeminiSimulator, startGeminiSimulator } from '../../bench/upstreams/gemini/index.js';
import { configSchema } from '../../src/config/schema.js';
import { GatewayError } from '../../src/errors.js';
import { type ChatRequest, parseChatRequest } from '../../src/openai/chat-request.js';
import { createGeminiProvider } from '../../src/providers/gemini.js';
import type { ChatEvent, ProviderAdapter } from '../../src/providers/provider.js';

const apiKey = 'AIzaSim-secret-key-42';
let simulator: GeminiSimulator;
let adapter: ProviderAdapter;

beforeAll(async () => {
  simulator = await startGeminiSimulator({ port: 0, speedFactor: 50, seed: 7, apiKey });
  adapter = createGeminiProvider({
    config: configSchema.parse({}).gemini,
    env: { GEMINI_API_KEY: apiKey, GEMINI_BASE_URL: simulator.url },
  });
});

afterAll(async () => {
  await simulator.close();
});

beforeEach(() => {
  simulator.setFault(null);
  simulator.clearRequests();
});

function request(body: Record<string, unknown>): ChatRequest {
  return parseChatRequest({ model: 'gemini/gemini-2.5-flash', ...body });
}

async function collect(
  chat: ChatRequest,
  model = 'gemini-2.5-flash',
  signal?: AbortSignal,
): Promise<ChatEvent[]> {
  const events: ChatEvent[] = [];
  const context = { model, signal: signal ?? new AbortController().signal, requestId: 'req_sim' };
  for await (const event of adapter.chat(chat, context)) events.push(event);
  return events;
}

async function failure(promise: Promise<unknown>): Promise<GatewayError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(GatewayError);
  const gatewayError = error as GatewayError;
  expect(gatewayError.message).not.toContain(apiKey);
  expect(gatewayError.provider).toBe('gemini');
  return gatewayError;
}

const text = (events: ChatEvent[], type: 'text-delta' | 'reasoning-delta') =>
  events.flatMap((event) => (event.type === type ? [event.text] : [])).join('');

const weatherTool = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Current weather',
    parameters: {
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'object',
      additionalProperties: false,
      $defs: { Unit: { type: 'string', enum: ['celsius', 'fahrenheit'] } },
      properties: {
        city: { type: 'string', title: 'City', minLength: 1 },
        unit: { anyOf: [{ $ref: '#/$defs/Unit' }, { type: 'null' }], default: null },
        days: { type: 'integer', exclusiveMinimum: 0, examples: [3] },
        tags: { type: 'array', items: { type: 'string', format: 'uri' } },
        extra: { type: 'object', additionalProperties: { type: 'string' } },
      },
      required: ['city', 'unit'],
    },
  },
};

describe('against the Gemini simulator', () => {
  it('streams thoughts and text and finishes with usage', async () => {
    const events = await collect(
      request({ messages: [{ role: 'user', content: 'Say something [sim:tokens=30]' }] }),
    );
    expect(text(events, 'reasoning-delta').length).toBeGreaterThan(0);
    expect(text(events, 'text-delta').length).toBeGreaterThan(0);
    const finish = events.at(-1);
    expect(finish?.type).toBe('finish');
    if (finish?.type !== 'finish') return;
    expect(finish.finishReason).toBe('stop');
    expect(finish.usage.promptTokens).toBeGreaterThan(0);
    expect(finish.usage.reasoningTokens).toBeGreaterThan(0);
    expect(finish.usage.completionTokens).toBe(30 + (finish.usage.reasoningTokens ?? 0));
    expect(events.filter((event) => event.type === 'finish')).toHaveLength(1);
    expect(simulator.requests).toHaveLength(1);
    expect(simulator.requests[0]?.path).toBe('/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse');
  });

  it('sends a schema full of JSON Schema extras that the strict upstream accepts, and round-trips a tool call', async () => {
    const first = await collect(
      request({
        messages: [{ role: 'user', content: 'Weather in Paris? [sim:tool]' }],
        tools: [weatherTool],
      }),
    );
    const start = first.find((event) => event.type === 'tool-call-start');
    const delta = first.find((event) => event.type === 'tool-call-delta');
    expect(start).toMatchObject({ type: 'tool-call-start', index: 0, name: 'get_weather' });
    if (start?.type !== 'tool-call-start' || delta?.type !== 'tool-call-delta')
      throw new Error('no tool call');
    const args = JSON.parse(delta.argumentsDelta) as Record<string, unknown>;
    expect(args).toHaveProperty('city');
    expect(first.at(-1)).toMatchObject({ type: 'finish', finishReason: 'tool_calls' });

    // The second turn carries the call and its result back; Gemini checks the function turns pair up.
    const second = await collect(
      request({
        messages: [
          { role: 'user', content: 'Weather in Paris? [sim:tool]' },
          {
            role: 'assistant',
            content: null,
            tool_calls: [
              {
                id: start.id,
                type: 'function',
                function: { name: start.name, arguments: delta.argumentsDelta },
              },
            ],
          },
          { role: 'tool', tool_call_id: start.id, content: '{"celsius":21}' },
        ],
        tools: [weatherTool],
      }),
    );
    expect(text(second, 'text-delta').length).toBeGreaterThan(0);
    expect(second.at(-1)).toMatchObject({ type: 'finish', finishReason: 'stop' });
  });

  it('asks for JSON with a converted response schema', async () => {
    const events = await collect(
      request({
        messages: [{ role: 'user', content: 'Give me a city' }],
        response_format: {
          type: 'json_schema',
          json_schema: {
            name: 'city',
            schema: {
              type: 'object',
              properties: { name: { type: 'string' }, population: { type: ['integer', 'null'] } },
              required: ['name', 'population'],
              additionalProperties: false,
            },
          },
        },
      }),
    );
    const answer = JSON.parse(text(events, 'text-delta')) as Record<string, unknown>;
    expect(answer).toHaveProperty('name');
  });

  it('survives thinking eating a small output budget: finish length, no error', async () => {
    const events = await collect(request({ messages: [{ role: 'user', content: 'Hi' }], max_tokens: 5 }));
    expect(events.at(-1)).toMatchObject({ type: 'finish', finishReason: 'length' });
  });

  it('maps a 429 to rate_limited with the wait the body asks for, without retrying inside the SDK', async () => {
    simulator.setFault({ kind: 'rate-limit', retryAfterSeconds: 7, times: 1 });
    const error = await failure(collect(request({ messages: [{ role: 'user', content: 'Hi' }] })));
    expect(error.kind).toBe('rate_limited');
    expect(error.status).toBe(429);
    expect(error.retryAfterSeconds).toBe(7);
    expect(simulator.requests).toHaveLength(1);
  });

  it.each([
    [{ kind: 'overloaded' as const }, 'overloaded', 503],
    [{ kind: 'http-500' as const }, 'upstream_error', 500],
  ])('maps fault %o to %s', async (fault, kind, status) => {
    simulator.setFault(fault);
    const error = await failure(collect(request({ messages: [{ role: 'user', content: 'Hi' }] })));
    expect(error.kind).toBe(kind);
    expect(error.status).toBe(status);
    expect(simulator.requests).toHaveLength(1);
  });

  it('reports a stream cut after one chunk as stream_interrupted, after the chunk was delivered', async () => {
    simulator.setFault({ kind: 'cut-stream', afterEvents: 1 });
    const events: ChatEvent[] = [];
    const error = await failure(
      (async () => {
        for await (const event of adapter.chat(request({ messages: [{ role: 'user', content: 'Hi' }] }), {
          model: 'gemini-2.5-flash',
          signal: new AbortController().signal,
          requestId: 'r',
        })) {
          events.push(event);
        }
      })(),
    );
    expect(error.kind).toBe('stream_interrupted');
    expect(events.length).toBeGreaterThan(0);
    expect(events.some((event) => event.type === 'finish')).toBe(false);
  });

  it('maps an error event inside the stream', async () => {
    simulator.setFault({ kind: 'error-event', afterEvents: 1 });
    const error = await failure(collect(request({ messages: [{ role: 'user', content: 'Hi' }] })));
    expect(error.kind).toBe('overloaded');
  });

  it('stops the upstream request on abort', async () => {
    simulator.setFault({ kind: 'stall', ms: 10_000 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const outcome = await collect(
      request({ messages: [{ role: 'user', content: 'Hi' }] }),
      'gemini-2.5-flash',
      controller.signal,
    ).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect((outcome as Error).name).toBe('AbortError');
    await expect.poll(() => simulator.abortedRequests).toBe(1);
  });

  it('maps an unknown model and a wrong key', async () => {
    const notFound = await failure(
      collect(request({ messages: [{ role: 'user', content: 'Hi' }] }), 'gemini-0-nano'),
    );
    expect(notFound.kind).toBe('model_not_found');
    expect(notFound.message).toMatch(/^`gemini\/gemini-0-nano` is not a Gemini model/);

    const wrongKey = createGeminiProvider({
      config: configSchema.parse({}).gemini,
      env: { GEMINI_API_KEY: 'AIza-wrong-key', GEMINI_BASE_URL: simulator.url },
    });
    const error = await failure(
      (async () => {
        for await (const _event of wrongKey.chat(request({ messages: [{ role: 'user', content: 'Hi' }] }), {
          model: 'gemini-2.5-flash',
          signal: new AbortController().signal,
          requestId: 'r',
        })) {
          // Nothing arrives.
        }
      })(),
    );
    expect(error.kind).toBe('authentication');
    expect(error.status).toBe(401);
    expect(error.message).not.toContain('AIza-wrong-key');
  });
});
