/**
 * @module test/upstreams/ollama-simulator
 * The simulated Ollama must be indistinguishable on the wire from a real one (shapes checked against
 * fixtures transcribed from Ollama's docs/api.md, as v0.12 encodes them) and its timings must follow its
 * performance model and match what it really waited.
 */
import { readFileSync } from 'node:fs';
import { Ollama } from 'ollama';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  countTokens,
  fitPromptTokens,
  type OllamaSimulator,
  predictTimings,
  type SimulatedModelSpec,
  startOllamaSimulator,
  type WireChatResponse,
  type WireMessage,
} from '../../bench/upstreams/ollama/index.js';

const speedFactor = 20;
const small: SimulatedModelSpec = {
  name: 'sim-small:1b',
  family: 'llama',
  parameterSize: '1.2B',
  quantization: 'Q4_K_M',
  sizeBytes: 800_000_000,
  contextLength: 32_768,
  loadMs: 2_000,
  prefillTokensPerSecond: 2_000,
  decodeTokensPerSecond: 50,
  parallel: 2,
};
const serial: SimulatedModelSpec = { ...small, name: 'sim-serial:1b', parallel: 1 };
const thinker: SimulatedModelSpec = {
  ...small,
  name: 'sim-think:1b',
  family: 'qwen3',
  capabilities: ['completion', 'tools', 'thinking'],
};
const completionOnly: SimulatedModelSpec = { ...small, name: 'sim-plain:1b', capabilities: ['completion'] };
const models = [small, serial, thinker, completionOnly];

const fixture = (name: string): string =>
  readFileSync(new URL(`../fixtures/ollama/${name}`, import.meta.url), 'utf8');
const fixtureLines = fixture('api-chat-stream.ndjson')
  .trim()
  .split('\n')
  .map((line) => JSON.parse(line) as object);
const keysOf = (value: unknown): string[] => Object.keys(value as object);
const user = (content: string): WireMessage => ({ role: 'user', content });
const noWork = {
  promptTokens: 0,
  cachedPromptTokens: 0,
  outputTokens: 0,
  numCtx: 4096,
  cold: false,
  slowdown: 1,
};
const timestampPattern = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$/;

interface ChatResult {
  status: number;
  contentType: string | null;
  lines: string[];
  /** Set when the connection broke before the body ended. */
  failure?: unknown;
  wallNs: number;
  firstLineNs?: number;
}

/** POSTs /api/chat and reads NDJSON lines as they arrive, keeping what came before a cut. */
async function chat(url: string, body: Record<string, unknown>, signal?: AbortSignal): Promise<ChatResult> {
  const started = process.hrtime.bigint();
  const response = await fetch(`${url}/api/chat`, { method: 'POST', body: JSON.stringify(body), signal });
  const result: ChatResult = {
    status: response.status,
    contentType: response.headers.get('content-type'),
    lines: [],
    wallNs: 0,
  };
  const decoder = new TextDecoder();
  let buffer = '';
  try {
    for await (const chunk of response.body ?? []) {
      result.firstLineNs ??= Number(process.hrtime.bigint() - started);
      buffer += decoder.decode(chunk as Uint8Array, { stream: true });
      const parts = buffer.split('\n');
      buffer = parts.pop() ?? '';
      result.lines.push(...parts);
    }
    if (buffer !== '') result.lines.push(buffer);
  } catch (error) {
    result.failure = error;
  }
  result.wallNs = Number(process.hrtime.bigint() - started);
  return result;
}

const parsed = (result: ChatResult): WireChatResponse[] =>
  result.lines.map((line) => JSON.parse(line) as WireChatResponse);
const finalOf = (result: ChatResult): Required<WireChatResponse> =>
  parsed(result).at(-1) as Required<WireChatResponse>;
const queueNs = (final: Required<WireChatResponse>): number =>
  final.total_duration - final.load_duration - final.prompt_eval_duration - final.eval_duration;

async function until(condition: () => boolean, timeoutMs = 1000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
}

describe('simulated Ollama', () => {
  let sim: OllamaSimulator;
  beforeAll(async () => {
    sim = await startOllamaSimulator({ models, speedFactor, seed: 3 });
  });
  afterAll(() => sim.close());

  it('streams NDJSON chunks and a final chunk whose integer timings match the model and the wall clock', async () => {
    const messages = [{ role: 'system', content: 'You are terse.' }, user('Explain caching [sim:tokens=40]')];
    const result = await chat(sim.url, { model: small.name, messages });
    expect(result.status).toBe(200);
    expect(result.contentType).toBe('application/x-ndjson');
    const chunks = parsed(result);
    const final = finalOf(result);
    for (const chunk of chunks.slice(0, -1)) {
      expect(keysOf(chunk)).toEqual(keysOf(fixtureLines[0]));
      expect(chunk.message.role).toBe('assistant');
      expect(chunk.created_at).toMatch(timestampPattern);
    }
    expect(keysOf(final)).toEqual(keysOf(fixtureLines.at(-1)));
    expect(final).toMatchObject({ done: true, done_reason: 'stop', eval_count: 40 });
    expect(countTokens(chunks.map((chunk) => chunk.message.content).join(''))).toBe(40);
    const promptTokens = fitPromptTokens(small, messages, undefined, 4096).tokens.length;
    expect(final.prompt_eval_count).toBe(promptTokens);
    for (const field of [
      'total_duration',
      'load_duration',
      'prompt_eval_duration',
      'eval_duration',
    ] as const) {
      expect(Number.isInteger(final[field]) && final[field] > 0).toBe(true);
    }
    expect(final.total_duration).toBeLessThanOrEqual(result.wallNs);
    expect(queueNs(final)).toBeGreaterThanOrEqual(0);
    const predicted = predictTimings(small, {
      promptTokens,
      cachedPromptTokens: 0,
      outputTokens: 40,
      numCtx: 4096,
      cold: true,
      slowdown: 1,
    });
    expect(final.load_duration / 1e6).toBeGreaterThan((predicted.loadMs / speedFactor) * 0.95);
    expect(final.eval_duration / 1e6).toBeGreaterThan((predicted.decodeMs / speedFactor) * 0.95);
    // Waits never end early; they may end late on a busy machine, hence the loose upper bound.
    expect(final.eval_duration / 1e6).toBeLessThan((predicted.decodeMs / speedFactor) * 1.5 + 100);
  });

  it('answers stream:false with one JSON object, warm, deterministic per prompt', async () => {
    const body = { model: small.name, stream: false, messages: [user('Same prompt [sim:tokens=25]')] };
    const first = await chat(sim.url, body);
    const second = await chat(sim.url, body);
    expect(first.contentType).toBe('application/json; charset=utf-8');
    const [answer] = parsed(first);
    expect(answer?.message.content).toBe(parsed(second)[0]?.message.content);
    expect(countTokens(answer?.message.content ?? '')).toBe(25);
    // Warm: load_duration only covers reading the body and scheduling, far below a cold load.
    const coldLoadNs = (predictTimings(small, { ...noWork, cold: true }).loadMs / speedFactor) * 1e6;
    expect(finalOf(second).load_duration).toBeLessThan(coldLoadNs / 3);
    // The identical prompt is cached: only the last token is evaluated again, as in Ollama.
    expect(finalOf(second).prompt_eval_count).toBe(1);
  });

  it('cuts at num_predict with done_reason "length"', async () => {
    const result = await chat(sim.url, {
      model: small.name,
      messages: [user('Long [sim:tokens=80]')],
      options: { num_predict: 7 },
    });
    expect(finalOf(result)).toMatchObject({ done_reason: 'length', eval_count: 7 });
  });

  it('reuses the shared prompt prefix of a growing conversation', async () => {
    const turn1 = [{ role: 'system', content: 'You review code. '.repeat(40) }, user('First question')];
    const first = parsed(await chat(sim.url, { model: small.name, stream: false, messages: turn1 }))[0];
    const turn2 = [...turn1, { role: 'assistant', content: first?.message.content ?? '' }, user('Follow-up')];
    const final = finalOf(await chat(sim.url, { model: small.name, stream: false, messages: turn2 }));
    const full = fitPromptTokens(small, turn2, undefined, 4096).tokens.length;
    const previous = fitPromptTokens(small, turn1, undefined, 4096).tokens.length;
    expect(final.prompt_eval_count).toBeLessThan(full - previous + 5);
  });

  it('reloads when num_ctx changes, and /api/ps reports the new context', async () => {
    const result = await chat(sim.url, {
      model: small.name,
      messages: [user('hi')],
      options: { num_ctx: 8192 },
    });
    const cold = predictTimings(small, {
      promptTokens: 1,
      cachedPromptTokens: 0,
      outputTokens: 0,
      numCtx: 8192,
      cold: true,
      slowdown: 1,
    });
    expect(finalOf(result).load_duration / 1e6).toBeGreaterThan((cold.loadMs / speedFactor) * 0.95);
    const ps = (await (await fetch(`${sim.url}/api/ps`)).json()) as {
      models: Array<Record<string, unknown>>;
    };
    expect(ps.models.find((model) => model.name === small.name)?.context_length).toBe(8192);
    expect(keysOf(ps.models[0])).toEqual(
      keysOf((JSON.parse(fixture('api-ps.json')) as { models: object[] }).models[0]),
    );
  });

  it('drops the oldest messages of a prompt longer than num_ctx', async () => {
    const history = Array.from({ length: 12 }, (_, index) =>
      user(`Message ${index}: ${'lorem ipsum '.repeat(30)}`),
    );
    const options = { num_ctx: 512 };
    const final = finalOf(await chat(sim.url, { model: completionOnly.name, messages: history, options }));
    expect(final.prompt_eval_count).toBeLessThanOrEqual(512);
    expect(final.prompt_eval_count).toBe(
      fitPromptTokens(completionOnly, history, undefined, 512).tokens.length,
    );
    expect(fitPromptTokens(completionOnly, history, undefined, 512).fullPromptTokens).toBeGreaterThan(1000);
  });

  it('loads and unloads on keep_alive, including empty-message load requests', async () => {
    const load = parsed(await chat(sim.url, { model: thinker.name, messages: [] }))[0];
    expect(load).toMatchObject({
      done: true,
      done_reason: 'load',
      message: { role: 'assistant', content: '' },
    });
    expect(sim.loadedModels()).toContain(thinker.name);
    const unload = parsed(await chat(sim.url, { model: thinker.name, messages: [], keep_alive: 0 }))[0];
    expect(unload?.done_reason).toBe('unload');
    expect(sim.loadedModels()).not.toContain(thinker.name);
    await chat(sim.url, { model: thinker.name, messages: [user('hi')], think: false, keep_alive: '1s' });
    expect(sim.loadedModels()).toContain(thinker.name);
    await until(() => !sim.loadedModels().includes(thinker.name));
    expect(sim.loadedModels()).not.toContain(thinker.name);
  });

  it('queues requests beyond the parallel slots, FIFO, and reports the wait only in total_duration', async () => {
    await chat(sim.url, { model: serial.name, messages: [] });
    const body = { model: serial.name, stream: false, messages: [user('Queue me [sim:tokens=40]')] };
    const [first, second] = await Promise.all([
      chat(sim.url, body),
      chat(sim.url, { ...body, messages: [user('Me too [sim:tokens=40]')] }),
    ]);
    expect(queueNs(finalOf(first!))).toBeLessThan(queueNs(finalOf(second!)) / 3);
    expect(queueNs(finalOf(second!))).toBeGreaterThan(finalOf(first!).eval_duration * 0.8);
  });

  it('slows a model down at runtime', async () => {
    const messages = (tag: string) => [user(`${tag} [sim:tokens=40]`)];
    const normal = finalOf(
      await chat(sim.url, { model: small.name, stream: false, messages: messages('a') }),
    );
    sim.setSlowdown(small.name, 3);
    const slowed = finalOf(
      await chat(sim.url, { model: small.name, stream: false, messages: messages('b') }),
    );
    sim.setSlowdown(small.name, 1);
    const promptTokens = fitPromptTokens(small, messages('b'), undefined, 4096).tokens.length;
    const predicted = predictTimings(small, { ...noWork, promptTokens, outputTokens: 40, slowdown: 3 });
    expect(slowed.eval_duration / 1e6).toBeGreaterThan((predicted.decodeMs / speedFactor) * 0.95);
    expect(slowed.eval_duration).toBeGreaterThan(normal.eval_duration);
  });

  it('calls tools with object arguments filled from the schema, streamed as one chunk', async () => {
    const tools = [
      {
        type: 'function',
        function: {
          name: 'get_current_weather',
          parameters: {
            type: 'object',
            properties: {
              location: { type: 'string' },
              format: { type: 'string', enum: ['celsius', 'fahrenheit'] },
              days: { type: 'integer' },
            },
            required: ['location', 'format'],
          },
        },
      },
    ];
    const messages = [user('What is the weather in Paris? Use get_current_weather.')];
    const whole = parsed(await chat(sim.url, { model: small.name, stream: false, messages, tools }))[0]!;
    expect(keysOf(whole)).toEqual(keysOf(JSON.parse(fixture('api-chat-tool-call.json'))));
    const call = whole.message.tool_calls?.[0];
    expect(call?.function.name).toBe('get_current_weather');
    expect(Object.keys(call?.function.arguments ?? {})).toEqual(['location', 'format']);
    expect(['celsius', 'fahrenheit']).toContain(call?.function.arguments.format);
    expect(whole.message.content).toBe('');
    const streamed = parsed(
      await chat(sim.url, { model: small.name, messages: [user('[sim:tool] go')], tools }),
    );
    expect(streamed).toHaveLength(2);
    expect(streamed[0]?.message.tool_calls?.[0]?.function.name).toBe('get_current_weather');
  });

  it('produces JSON for a schema format, and streams thinking on thinking models', async () => {
    const format = {
      type: 'object',
      properties: { age: { type: 'integer' }, available: { type: 'boolean' } },
      required: ['age', 'available'],
    };
    const answer = parsed(
      await chat(sim.url, { model: small.name, stream: false, format, messages: [user('Age?')] }),
    )[0];
    const value = JSON.parse(answer?.message.content ?? '') as Record<string, unknown>;
    expect(typeof value.age).toBe('number');
    expect(typeof value.available).toBe('boolean');
    const thinking = parsed(
      await chat(sim.url, { model: thinker.name, messages: [user('Think [sim:tokens=5]')] }),
    );
    expect(thinking[0]?.message.thinking).toBeTruthy();
    const refused = await chat(sim.url, { model: small.name, think: true, messages: [user('x')] });
    expect([refused.status, refused.lines[0]]).toEqual([
      400,
      JSON.stringify({ error: `"${small.name}" does not support thinking` }),
    ]);
  });

  it('answers errors as Ollama does', async () => {
    const missing = await chat(sim.url, { model: 'nope:1b', messages: [user('x')] });
    expect([missing.status, missing.lines[0]]).toEqual([404, `{"error":"model 'nope:1b' not found"}`]);
    const bad = await fetch(`${sim.url}/api/chat`, { method: 'POST', body: '{not json' });
    expect(bad.status).toBe(400);
    expect(keysOf(await bad.json())).toEqual(['error']);
    const tools = [{ type: 'function', function: { name: 'noop' } }];
    const noTools = await chat(sim.url, { model: completionOnly.name, messages: [user('x')], tools });
    expect([noTools.status, noTools.lines[0]]).toEqual([
      400,
      JSON.stringify({ error: `registry.ollama.ai/library/${completionOnly.name} does not support tools` }),
    ]);
    const badOption = await chat(sim.url, {
      model: small.name,
      messages: [user('x')],
      options: { num_predict: 'ten' },
    });
    expect([badOption.status, badOption.lines[0]]).toEqual([
      500,
      '{"error":"option \\"num_predict\\" must be of type integer"}',
    ]);
    const badKeepAlive = await chat(sim.url, { model: small.name, messages: [user('x')], keep_alive: '300' });
    expect([badKeepAlive.status, badKeepAlive.lines[0]]).toEqual([
      400,
      '{"error":"time: missing unit in duration \\"300\\""}',
    ]);
    const notFound = await fetch(`${sim.url}/api/nothing`);
    expect([notFound.status, await notFound.text()]).toEqual([404, '404 page not found']);
  });

  it('serves tags, show, version and root with Ollama shapes', async () => {
    const tags = (await (await fetch(`${sim.url}/api/tags`)).json()) as {
      models: Array<Record<string, unknown>>;
    };
    expect(tags.models.map((model) => model.name).sort()).toEqual(models.map((model) => model.name).sort());
    const tagsFixture = JSON.parse(fixture('api-tags.json')) as { models: Array<Record<string, object>> };
    expect(keysOf(tags.models[0])).toEqual(keysOf(tagsFixture.models[0]));
    expect(keysOf(tags.models[0]?.details)).toEqual(keysOf(tagsFixture.models[0]?.details));
    const show = (await (
      await fetch(`${sim.url}/api/show`, { method: 'POST', body: JSON.stringify({ model: small.name }) })
    ).json()) as Record<string, Record<string, unknown>>;
    expect(keysOf(show)).toEqual(keysOf(JSON.parse(fixture('api-show.json'))));
    expect(show.model_info?.['general.architecture']).toBe('llama');
    expect(show.model_info?.['llama.context_length']).toBe(small.contextLength);
    expect(await (await fetch(`${sim.url}/api/version`)).json()).toEqual({ version: '0.12.6' });
    expect(await (await fetch(sim.url)).text()).toBe('Ollama is running');
  });

  it('counts client aborts and frees the slot', async () => {
    const before = sim.abortedRequests;
    const controller = new AbortController();
    const response = await fetch(`${sim.url}/api/chat`, {
      method: 'POST',
      body: JSON.stringify({ model: serial.name, messages: [user('Long [sim:tokens=2000]')] }),
      signal: controller.signal,
    });
    await response.body?.getReader().read();
    controller.abort();
    await until(() => sim.abortedRequests > before);
    expect(sim.abortedRequests).toBe(before + 1);
    const next = finalOf(
      await chat(sim.url, { model: serial.name, stream: false, messages: [user('next')] }),
    );
    // Had the aborted request kept its slot, this one would queue behind ~2000 tokens (2 s).
    expect(queueNs(next)).toBeLessThan(100e6);
  });
});

describe('a load whose request goes away', () => {
  // As in Ollama, whose scheduler waits for the runner with the request's context and expires it when
  // that context is cancelled: the load belongs to the request that started it.
  let sim: OllamaSimulator;
  beforeAll(async () => {
    sim = await startOllamaSimulator({ models: [small], speedFactor, seed: 5 });
  });
  afterAll(() => sim.close());
  const loadedModels = async () =>
    ((await (await fetch(`${sim.url}/api/ps`)).json()) as { models: unknown[] }).models.length;
  // 2 s simulated (+ its num_ctx share) at ×20: a little over 100 ms.
  const loadRealMs = (predictTimings(small, { ...noWork, cold: true }).loadMs / speedFactor) * 1.1;

  it('is abandoned: the model is not in memory afterwards', async () => {
    const abandoned = chat(
      sim.url,
      { model: small.name, messages: [user('hi')] },
      AbortSignal.timeout(Math.round(loadRealMs / 4)),
    ).catch(() => undefined);
    await abandoned;
    await new Promise((resolve) => setTimeout(resolve, loadRealMs * 1.5));
    expect(await loadedModels()).toBe(0);
  });

  it('a request that was waiting on it starts a whole load of its own', async () => {
    const started = Date.now();
    const owner = chat(
      sim.url,
      { model: small.name, messages: [user('hi')] },
      AbortSignal.timeout(Math.round(loadRealMs / 2)),
    ).catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, loadRealMs / 4));
    const joined = await chat(sim.url, { model: small.name, stream: false, messages: [user('hello')] });
    await owner;
    const final = finalOf(joined);
    expect(final.done).toBe(true);
    // Its load began when the owner left, about half a load in: a whole load from there.
    expect(final.load_duration / 1e6).toBeGreaterThan(loadRealMs * 0.8);
    expect(Date.now() - started).toBeGreaterThan(loadRealMs * 1.3);
  });
});

describe('fault injection', () => {
  let sim: OllamaSimulator;
  const body = { model: small.name, messages: [user('Faulty [sim:tokens=10]')] };
  beforeAll(async () => {
    sim = await startOllamaSimulator({ models, speedFactor, seed: 5 });
    await chat(sim.url, { model: small.name, messages: [] });
  });
  afterAll(() => sim.close());

  it('refuses connections but keeps the control endpoint, and clears after `times`', async () => {
    sim.setFault({ kind: 'refuse', times: 2 });
    await expect(fetch(`${sim.url}/api/tags`)).rejects.toThrow();
    const state = await fetch(`${sim.url}/__sim/state`);
    expect(state.status).toBe(200);
    await expect(fetch(`${sim.url}/api/version`)).rejects.toThrow();
    expect((await fetch(`${sim.url}/api/version`)).status).toBe(200);
  });

  it('answers 500 and model-not-found, scoped to a model', async () => {
    sim.setFault({ kind: 'http-500', times: 1 });
    expect((await chat(sim.url, body)).status).toBe(500);
    expect((await chat(sim.url, body)).status).toBe(200);
    sim.setFault({ kind: 'model-not-found', model: serial.name });
    expect((await chat(sim.url, body)).status).toBe(200);
    const missing = await chat(sim.url, { ...body, model: serial.name });
    expect([missing.status, missing.lines[0]]).toEqual([404, `{"error":"model '${serial.name}' not found"}`]);
    sim.setFault(null);
  });

  it('cuts the stream, stalls, and writes malformed or error lines', async () => {
    sim.setFault({ kind: 'cut-stream', afterChunks: 3 });
    const cut = await chat(sim.url, body);
    expect(cut.failure).toBeDefined();
    expect(parsed(cut).map((chunk) => chunk.done)).toEqual([false, false, false]);
    sim.setFault({ kind: 'stall', ms: 150 });
    expect((await chat(sim.url, body)).firstLineNs).toBeGreaterThan(150e6);
    sim.setFault({ kind: 'malformed-line', afterChunks: 2 });
    const malformed = await chat(sim.url, body);
    expect(() => JSON.parse(malformed.lines[2] ?? '')).toThrow();
    expect((JSON.parse(malformed.lines.at(-1) ?? '') as WireChatResponse).done).toBe(true);
    sim.setFault({ kind: 'error-line', afterChunks: 2, message: 'boom' });
    const errored = await chat(sim.url, body);
    expect(errored.lines.slice(2)).toEqual(['{"error":"boom"}']);
    sim.setFault({ kind: 'none' });
  });

  it('takes faults and slowdowns over HTTP and lists received requests', async () => {
    sim.clearRequests();
    const post = (path: string, value: unknown) =>
      fetch(`${sim.url}${path}`, { method: 'POST', body: JSON.stringify(value) });
    expect((await post('/__sim/fault', { kind: 'http-500', times: 1 })).status).toBe(200);
    expect((await chat(sim.url, body)).status).toBe(500);
    expect((await post('/__sim/fault', { kind: 'explode' })).status).toBe(400);
    expect((await post('/__sim/slowdown', { model: small.name, factor: 2 })).status).toBe(200);
    expect((await post('/__sim/slowdown', { model: small.name, factor: 1 })).status).toBe(200);
    const listed = (await (await fetch(`${sim.url}/__sim/requests`)).json()) as {
      requests: Array<{ path: string; body: unknown }>;
    };
    expect(listed.requests).toEqual([expect.objectContaining({ path: '/api/chat', body })]);
    expect(sim.requests).toHaveLength(1);
  });
});

describe('predictTimings', () => {
  const base = {
    promptTokens: 1000,
    cachedPromptTokens: 0,
    outputTokens: 100,
    numCtx: 4096,
    cold: false,
    slowdown: 1,
  };
  it('is zero-load when warm, grows with num_ctx when cold, and scales with slowdown', () => {
    expect(predictTimings(small, base).loadMs).toBe(0);
    const cold = predictTimings(small, { ...base, cold: true }).loadMs;
    expect(cold).toBeGreaterThan(small.loadMs);
    expect(predictTimings(small, { ...base, cold: true, numCtx: 32_768 }).loadMs).toBeGreaterThan(cold);
    const slowed = predictTimings(small, { ...base, slowdown: 3 });
    expect(slowed.decodeMs).toBeCloseTo(predictTimings(small, base).decodeMs * 3, 6);
  });
  it('prefills only uncached tokens and slows down as the context grows', () => {
    const full = predictTimings(small, base);
    expect(predictTimings(small, { ...base, cachedPromptTokens: 900 }).prefillMs).toBeLessThan(
      full.prefillMs / 5,
    );
    expect(full.prefillMs).toBeGreaterThan((1000 / small.prefillTokensPerSecond) * 1000);
    const long = predictTimings(small, { ...base, promptTokens: 16_000 });
    expect(long.decodeMs).toBeGreaterThan(full.decodeMs * 1.5);
  });
});

describe('official ollama client against the simulator', () => {
  it('chats (stream and tools), lists, shows and reports running models', async () => {
    const sim = await startOllamaSimulator({ models, speedFactor, seed: 9 });
    try {
      const client = new Ollama({ host: sim.url });
      let content = '';
      let last: { done: boolean; eval_count: number } | undefined;
      for await (const part of await client.chat({
        model: small.name,
        stream: true,
        messages: [user('Hello [sim:tokens=12]')],
      })) {
        content += part.message.content;
        last = part;
      }
      expect(last).toMatchObject({ done: true, eval_count: 12 });
      expect(countTokens(content)).toBe(12);
      const tools = [
        {
          type: 'function',
          function: {
            name: 'read_file',
            description: 'Read',
            parameters: { type: 'object', required: ['path'], properties: { path: { type: 'string' } } },
          },
        },
      ];
      const called = await client.chat({ model: small.name, messages: [user('call read_file')], tools });
      expect(typeof called.message.tool_calls?.[0]?.function.arguments.path).toBe('string');
      expect((await client.list()).models.map((model) => model.name)).toContain(serial.name);
      expect((await client.ps()).models.map((model) => model.name)).toEqual([small.name]);
      const show = await client.show({ model: small.name });
      expect(show.capabilities).toEqual(['completion', 'tools']);
      await expect(client.chat({ model: 'missing:7b', messages: [user('x')] })).rejects.toMatchObject({
        status_code: 404,
      });
    } finally {
      await sim.close();
    }
  });
});
