import { readFileSync } from 'node:fs';
import Anthropic, {
  APIError,
  AuthenticationError,
  BadRequestError,
  InternalServerError,
  NotFoundError,
  OverloadedError,
  RateLimitError,
} from '@anthropic-ai/sdk';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type AnthropicSimulator, startAnthropicSimulator } from '../../bench/upstreams/anthropic/index.js';

const MODEL = 'claude-haiku-4-5';
const WEATHER_TOOL = {
  name: 'get_weather',
  description: 'Get the current weather in a given location',
  input_schema: {
    type: 'object' as const,
    properties: {
      location: { type: 'string', description: 'The city and state, e.g. San Francisco, CA' },
      unit: { type: 'string', enum: ['celsius', 'fahrenheit'] },
    },
    required: ['location'],
  },
};

let sim: AnthropicSimulator;
let client: Anthropic;

beforeAll(async () => {
  sim = await startAnthropicSimulator({ speedFactor: 50, seed: 7 });
  client = new Anthropic({ apiKey: sim.apiKey, baseURL: sim.url, maxRetries: 0 });
});
afterEach(() => sim.setFault(null));
afterAll(() => sim.close());

interface SseEvent {
  event: string;
  data: Record<string, unknown>;
}

/** Reads the raw wire format, so framing is checked independently of the SDK's parser. */
async function rawStream(body: Record<string, unknown>): Promise<{ text: string; events: SseEvent[] }> {
  const response = await fetch(`${sim.url}/v1/messages`, {
    method: 'POST',
    headers: {
      'x-api-key': sim.apiKey,
      'anthropic-version': '2023-06-01',
      'content-type': 'application/json',
    },
    body: JSON.stringify({ ...body, stream: true }),
  });
  expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
  const text = await response.text();
  const events = text
    .split('\n\n')
    .filter((frame) => frame !== '')
    .map((frame) => {
      const [eventLine, dataLine, ...rest] = frame.split('\n');
      expect(rest).toEqual([]);
      expect(eventLine).toMatch(/^event: /);
      expect(dataLine).toMatch(/^data: /);
      return {
        event: (eventLine ?? '').slice('event: '.length),
        data: JSON.parse((dataLine ?? '').slice('data: '.length)) as Record<string, unknown>,
      };
    });
  return { text, events };
}

function readFixture(name: string): SseEvent[] {
  const url = new URL(`../fixtures/anthropic/${name}`, import.meta.url);
  return readFileSync(url, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as SseEvent);
}

/** Event order without pings (allowed anywhere) and with runs of same-kind deltas collapsed. */
function skeleton(events: readonly SseEvent[]): string[] {
  const steps = events
    .filter((entry) => entry.event !== 'ping')
    .map((entry) => {
      const delta = entry.data.delta as { type?: string } | undefined;
      const block = entry.data.content_block as { type?: string } | undefined;
      return [entry.event, delta?.type ?? block?.type ?? ''].filter(Boolean).join(':');
    });
  return steps.filter(
    (step, index) => !(step.startsWith('content_block_delta') && steps[index - 1] === step),
  );
}

/** Every key the documented example has exists in the simulator's event with the same JSON kind. */
function expectShapeCovers(documented: unknown, simulated: unknown, path = '$'): void {
  const kind = (value: unknown) => (Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value);
  expect(kind(simulated), path).toBe(kind(documented));
  if (kind(documented) !== 'object') return;
  for (const [key, value] of Object.entries(documented as Record<string, unknown>)) {
    expect(simulated as Record<string, unknown>, path).toHaveProperty([key]);
    expectShapeCovers(value, (simulated as Record<string, unknown>)[key], `${path}.${key}`);
  }
}

function firstOfEachKind(events: readonly SseEvent[]): Map<string, SseEvent> {
  const byKind = new Map<string, SseEvent>();
  for (const entry of events) {
    const delta = entry.data.delta as { type?: string } | undefined;
    const key = `${entry.event}:${delta?.type ?? ''}`;
    if (!byKind.has(key)) byKind.set(key, entry);
  }
  return byKind;
}

describe('Anthropic simulator with @anthropic-ai/sdk', () => {
  it('answers messages.create with exactly the requested tokens', async () => {
    const message = await client.messages.create({
      model: MODEL,
      max_tokens: 256,
      system: 'You are terse.',
      messages: [{ role: 'user', content: 'Say something [sim:tokens=12]' }],
    });
    expect(message.id).toMatch(/^msg_01/);
    expect(message.type).toBe('message');
    expect(message.role).toBe('assistant');
    expect(message.model).toBe(MODEL);
    expect(message.stop_reason).toBe('end_turn');
    expect(message.stop_sequence).toBeNull();
    expect(message.usage.output_tokens).toBe(12);
    expect(message.usage.input_tokens).toBeGreaterThan(0);
    expect(message.usage.cache_read_input_tokens).toBe(0);
    expect(message.content).toHaveLength(1);
    expect(message.content[0]?.type).toBe('text');

    const recorded = sim.requests.at(-1);
    expect(recorded?.path).toBe('/v1/messages');
    // SDK 1.x sends the key as a bearer token, not as x-api-key.
    expect(recorded?.headers.authorization).toBe('REDACTED');
    expect(recorded?.headers['anthropic-version']).toBeTruthy();
    expect(recorded?.body).toMatchObject({ model: MODEL, max_tokens: 256, system: 'You are terse.' });
  });

  it('stops at max_tokens and on a stop sequence', async () => {
    const truncated = await client.messages.create({
      model: MODEL,
      max_tokens: 5,
      messages: [{ role: 'user', content: 'Long please [sim:tokens=40]' }],
    });
    expect(truncated.stop_reason).toBe('max_tokens');
    expect(truncated.usage.output_tokens).toBe(5);

    const stopped = await client.messages.create({
      model: MODEL,
      max_tokens: 100,
      stop_sequences: ['###'],
      messages: [{ role: 'user', content: 'Go [sim:stop]' }],
    });
    expect(stopped.stop_reason).toBe('stop_sequence');
    expect(stopped.stop_sequence).toBe('###');
  });

  it('streams the same content it returns without streaming', async () => {
    const params = {
      model: MODEL,
      max_tokens: 200,
      messages: [{ role: 'user' as const, content: 'Tell me about trains [sim:tokens=30]' }],
    };
    const whole = await client.messages.create(params);
    const stream = await client.messages.create({ ...params, stream: true });
    const types: string[] = [];
    let text = '';
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') text += event.delta.text;
    }
    expect(types[0]).toBe('message_start');
    expect(types.at(-2)).toBe('message_delta');
    expect(types.at(-1)).toBe('message_stop');
    expect(whole.content[0]?.type === 'text' && whole.content[0].text).toBe(text);

    const final = await client.messages.stream(params).finalMessage();
    expect(final.content).toEqual(whole.content);
    expect(final.usage.output_tokens).toBe(30);
    expect(final.stop_reason).toBe('end_turn');
  });

  it('calls a tool, streaming its input as input_json_delta fragments the SDK reassembles', async () => {
    const fragments: string[] = [];
    const stream = client.messages.stream({
      model: MODEL,
      max_tokens: 500,
      tools: [WEATHER_TOOL],
      messages: [{ role: 'user', content: 'What is the weather in Boston? Use get_weather.' }],
    });
    stream.on('inputJson', (partial) => fragments.push(partial));
    const message = await stream.finalMessage();
    expect(message.stop_reason).toBe('tool_use');
    expect(message.content.map((block) => block.type)).toEqual(['text', 'tool_use']);
    const toolUse = message.content[1];
    if (toolUse?.type !== 'tool_use') throw new Error('expected tool_use');
    expect(toolUse.id).toMatch(/^toolu_01/);
    expect(toolUse.name).toBe('get_weather');
    expect(toolUse.input).toEqual({ location: 'San Francisco, CA' });
    expect(fragments.length).toBeGreaterThan(1);
    expect(fragments.join('')).toBe(JSON.stringify(toolUse.input));

    const answer = await client.messages.create({
      model: MODEL,
      max_tokens: 500,
      tools: [WEATHER_TOOL],
      messages: [
        { role: 'user', content: 'What is the weather in Boston? Use get_weather.' },
        { role: 'assistant', content: message.content },
        {
          role: 'user',
          content: [{ type: 'tool_result', tool_use_id: toolUse.id, content: '15 degrees, sunny' }],
        },
      ],
    });
    expect(answer.stop_reason).toBe('end_turn');
    expect(answer.content[0]?.type).toBe('text');
  });

  it('forces a tool with tool_choice and answers JSON on [sim:json]', async () => {
    const forced = await client.messages.create({
      model: MODEL,
      max_tokens: 500,
      tools: [WEATHER_TOOL],
      tool_choice: { type: 'tool', name: 'get_weather' },
      messages: [{ role: 'user', content: 'Anything.' }],
    });
    expect(forced.content.map((block) => block.type)).toEqual(['tool_use']);

    const json = await client.messages.create({
      model: MODEL,
      max_tokens: 500,
      messages: [{ role: 'user', content: 'Reply in JSON [sim:json]' }],
    });
    const block = json.content[0];
    expect(block?.type === 'text' && JSON.parse(block.text)).toMatchObject({ answer: expect.any(String) });
  });

  it('echoes and refuses on request', async () => {
    const echoed = await client.messages.create({
      model: MODEL,
      max_tokens: 100,
      messages: [{ role: 'user', content: 'Repeat exactly this sentence. [sim:echo]' }],
    });
    expect(echoed.content).toEqual([{ type: 'text', text: 'Repeat exactly this sentence.' }]);
    const refused = await client.messages.create({
      model: MODEL,
      max_tokens: 100,
      messages: [{ role: 'user', content: 'Something risky [sim:finish=refusal]' }],
    });
    expect(refused.stop_reason).toBe('refusal');
  });

  it('streams thinking with thinking_delta and signature_delta', async () => {
    const message = await client.messages
      .stream({
        model: MODEL,
        max_tokens: 4000,
        thinking: { type: 'enabled', budget_tokens: 2048 },
        messages: [{ role: 'user', content: 'What is 27 * 453? [sim:tokens=8]' }],
      })
      .finalMessage();
    expect(message.content.map((block) => block.type)).toEqual(['thinking', 'text']);
    const thinking = message.content[0];
    if (thinking?.type !== 'thinking') throw new Error('expected thinking');
    expect(thinking.thinking.length).toBeGreaterThan(0);
    expect(thinking.signature.length).toBeGreaterThan(20);
    expect(message.usage.output_tokens).toBeGreaterThan(8);
  });

  it('rejects invalid conversations like the real API', async () => {
    const request = (messages: Anthropic.MessageParam[]) =>
      client.messages.create({ model: MODEL, max_tokens: 50, tools: [WEATHER_TOOL], messages });
    await expect(
      request([
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_missing', content: 'x' }] },
      ]),
    ).rejects.toThrow(/unexpected `tool_use_id` found in `tool_result` blocks: toolu_missing/);
    await expect(
      request([
        { role: 'user', content: 'a' },
        { role: 'user', content: 'b' },
      ]),
    ).rejects.toThrow(/roles must alternate/);
    await expect(
      request([
        { role: 'user', content: 'a' },
        { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: {} }] },
        { role: 'user', content: 'b' },
      ]),
    ).rejects.toThrow(/`tool_use` ids were found without `tool_result` blocks immediately after: toolu_1/);
    const missingMaxTokens = { model: MODEL, messages: [{ role: 'user', content: 'hi' }] };
    const error = await client.messages
      .create(missingMaxTokens as unknown as Anthropic.MessageCreateParamsNonStreaming)
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(BadRequestError);
    expect((error as BadRequestError).type).toBe('invalid_request_error');
    expect((error as BadRequestError).message).toContain('max_tokens: Field required');
  });

  it('maps authentication, unknown models and injected faults onto the SDK error classes', async () => {
    const wrongKey = new Anthropic({ apiKey: 'nope', baseURL: sim.url, maxRetries: 0 });
    const params = { model: MODEL, max_tokens: 10, messages: [{ role: 'user' as const, content: 'hi' }] };
    await expect(wrongKey.messages.create(params)).rejects.toBeInstanceOf(AuthenticationError);
    const notFound = await client.messages
      .create({ ...params, model: 'claude-nonexistent' })
      .catch((e: unknown) => e);
    expect(notFound).toBeInstanceOf(NotFoundError);
    expect((notFound as NotFoundError).requestID).toMatch(/^req_/);

    sim.setFault({ kind: 'rate-limit', retryAfterSeconds: 7 });
    const limited = await client.messages.create(params).catch((e: unknown) => e);
    expect(limited).toBeInstanceOf(RateLimitError);
    expect((limited as RateLimitError).headers.get('retry-after')).toBe('7');

    sim.setFault({ kind: 'overloaded' });
    const overloaded = await client.messages.create(params).catch((e: unknown) => e);
    expect(overloaded).toBeInstanceOf(OverloadedError);
    expect((overloaded as OverloadedError).status).toBe(529);

    sim.setFault({ kind: 'http-500', model: 'claude-opus-4-1' });
    await expect(client.messages.create(params)).resolves.toBeTruthy();
    await expect(client.messages.create({ ...params, model: 'claude-opus-4-1' })).rejects.toBeInstanceOf(
      InternalServerError,
    );
  });

  it('fails once then succeeds, so retries can be tested', async () => {
    sim.setFault({ kind: 'http-500', times: 1 });
    const retrying = new Anthropic({ apiKey: sim.apiKey, baseURL: sim.url, maxRetries: 1 });
    sim.clearRequests();
    const message = await retrying.messages.create({
      model: MODEL,
      max_tokens: 10,
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(message.type).toBe('message');
    expect(sim.requests).toHaveLength(2);
  });

  it('sends an error event mid-stream and cuts streams on demand', async () => {
    const params = { model: MODEL, max_tokens: 100, messages: [{ role: 'user' as const, content: 'hi' }] };
    sim.setFault({ kind: 'error-event' });
    const failed = await client.messages
      .stream(params)
      .finalMessage()
      .catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(APIError);
    expect((failed as APIError).type).toBe('overloaded_error');

    const abortedBefore = sim.abortedRequests;
    sim.setFault({ kind: 'cut-stream', afterEvents: 4 });
    const cut = await client.messages
      .stream(params)
      .finalMessage()
      .catch((e: unknown) => e);
    expect(cut).toBeInstanceOf(Error);
    expect(sim.abortedRequests).toBe(abortedBefore);
  });

  it('stalls before the first byte and counts clients that go away', async () => {
    sim.setFault({ kind: 'stall', ms: 150, times: 1 });
    const started = performance.now();
    await client.messages.create({
      model: MODEL,
      max_tokens: 5,
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);

    const before = sim.abortedRequests;
    const stream = await client.messages.create({
      model: MODEL,
      max_tokens: 500,
      stream: true,
      messages: [{ role: 'user', content: 'hi [sim:tokens=400]' }],
    });
    for await (const event of stream) {
      if (event.type === 'content_block_delta') break;
    }
    await expect.poll(() => sim.abortedRequests).toBe(before + 1);
  });

  it('accepts faults and serves the request log over HTTP', async () => {
    const armed = await fetch(`${sim.url}/__sim/fault`, {
      method: 'POST',
      body: JSON.stringify({ kind: 'overloaded', times: 1 }),
    });
    expect(armed.status).toBe(200);
    await expect(
      client.messages.create({ model: MODEL, max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] }),
    ).rejects.toBeInstanceOf(OverloadedError);
    const bad = await fetch(`${sim.url}/__sim/fault`, {
      method: 'POST',
      body: JSON.stringify({ kind: 'meteor' }),
    });
    expect(bad.status).toBe(400);
    const log = (await (await fetch(`${sim.url}/__sim/requests`)).json()) as {
      requests: Array<{ path: string }>;
    };
    expect(log.requests.at(-1)?.path).toBe('/v1/messages');
  });

  it('lists models and counts tokens', async () => {
    const ids: string[] = [];
    for await (const model of client.models.list()) ids.push(model.id);
    expect(ids).toContain('claude-haiku-4-5');
    const count = await client.messages.countTokens({
      model: MODEL,
      messages: [{ role: 'user', content: '12345678' }],
    });
    expect(count.input_tokens).toBe(2);
  });

  it('reports prompt-cache writes, then reads', async () => {
    const system = [
      { type: 'text' as const, text: 'x'.repeat(20_000), cache_control: { type: 'ephemeral' as const } },
    ];
    const params = {
      model: MODEL,
      max_tokens: 5,
      system,
      messages: [{ role: 'user' as const, content: 'hi' }],
    };
    const first = await client.messages.create(params);
    const second = await client.messages.create(params);
    expect(first.usage.cache_creation_input_tokens).toBe(5000);
    expect(second.usage.cache_read_input_tokens).toBe(5000);
    expect(second.usage.input_tokens).toBe(1);
  });
});

describe('Anthropic simulator wire format matches the documented streams', () => {
  it.each([
    ['text-stream.jsonl', { messages: [{ role: 'user', content: 'Hello' }] }],
    [
      'tool-use-stream.jsonl',
      {
        tools: [WEATHER_TOOL],
        messages: [{ role: 'user', content: 'What is the weather like? Use get_weather.' }],
      },
    ],
    [
      'thinking-stream.jsonl',
      {
        max_tokens: 4000,
        thinking: { type: 'enabled', budget_tokens: 2048 },
        messages: [{ role: 'user', content: 'What is 27 * 453?' }],
      },
    ],
  ])('%s', async (fixture, request) => {
    const documented = readFixture(fixture);
    const { events } = await rawStream({ model: MODEL, max_tokens: 1024, ...request });
    expect(skeleton(events)).toEqual(skeleton(documented));
    for (const entry of events) expect(entry.data.type).toBe(entry.event);
    const simulated = firstOfEachKind(events);
    for (const [kind, example] of firstOfEachKind(documented)) {
      expectShapeCovers(example.data, simulated.get(kind)?.data, kind);
    }
  });

  it('sends the documented error event', async () => {
    sim.setFault({ kind: 'error-event', afterEvents: 1 });
    const { events } = await rawStream({
      model: MODEL,
      max_tokens: 50,
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(events.map((entry) => entry.event)).toEqual(['message_start', 'error']);
    const [documented] = readFixture('error-event.jsonl');
    expectShapeCovers(documented?.data, events[1]?.data);
  });
});
