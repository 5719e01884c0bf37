/**
 * @module test/gateway/performance-router
 * What the `auto` router tells the latency model about a local model's memory: a request arriving while
 * the engine loads the model for a request in flight waits for the rest of that load, not for a load of
 * its own; a model not in memory has no prompt cache; and only as many recent prompts as the engine has
 * slots can still be cached.
 */
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import type { PlannedAttempt } from '../../src/gateway/attempt-runner.js';
import type { Clock } from '../../src/gateway/clock.js';
import { ModelCatalog } from '../../src/gateway/model-catalog.js';
import { createPerformanceRouter } from '../../src/gateway/performance-router.js';
import { type ChatRequest, parseChatRequest } from '../../src/openai/chat-request.js';
import type { CompletionOutcome } from '../../src/profiler/completion-profile.js';
import { createModelStatsStore } from '../../src/profiler/model-stats.js';
import { minimalProfile } from '../profiler/fixtures.js';
import { fakeProvider } from './attempt-fakes.js';
import { testRoutingState } from './routing-state-fixture.js';

/** The load time the profile below teaches: every cold start took this long. */
const loadMs = 4000;

function setUp() {
  let now = 1_000_000;
  const clock: Clock = { now: () => now, monotonic: () => now, sleep: async () => undefined };
  const config = configSchema.parse({
    routing: { local_models: ['ollama/m'], local_parallel_slots: 2, explore_rate: 0 },
  });
  const state = testRoutingState(config, clock);
  const stats = createModelStatsStore({ windowSize: 200 });
  // A measured model: twelve completions of 1 000-token prompts, three of them cold starts.
  for (let index = 0; index < 12; index++) {
    const cold = index % 4 === 0;
    stats.observe(
      minimalProfile({
        requestId: `past-${index}`,
        startedAt: now - 100_000 + index * 1000,
        model: 'm',
        streamed: true,
        timeToFirstTokenMs: (cold ? loadMs : 0) + 520,
        durationMs: (cold ? loadMs : 0) + 2520,
        promptChars: 3600,
        estimatedPromptTokens: 1000,
        messageCount: 1,
        loadDurationNs: (cold ? loadMs : 1) * 1e6,
        promptEvalCount: 1000,
        promptEvalDurationNs: 500e6,
        evalCount: 100,
        evalDurationNs: 2000e6,
        prefillTokensPerSecond: 2000,
        decodeTokensPerSecond: 50,
        coldStart: cold,
      }),
    );
  }
  const provider = {
    ...fakeProvider('ollama', async function* () {}),
    listModels: async () => [{ name: 'm' }],
    residencyMs: 300_000,
  };
  const catalog = new ModelCatalog([provider], {});
  const router = createPerformanceRouter({ config, stats, state, clock, random: () => 0.5 });
  const input = (request: ChatRequest) => ({
    request,
    headers: new Headers({ 'x-switchyard-route': 'local' }),
    resolved: { kind: 'auto' as const },
    catalog,
    signal: new AbortController().signal,
  });
  const chat = (system: string, user: string) =>
    parseChatRequest({
      model: 'auto',
      messages: [
        { role: 'system', content: system },
        { role: 'user', content: user },
      ],
    });
  /** Routes a request and starts its attempt; the returned function ends it with `outcome`. */
  const send = async (request: ChatRequest) => {
    const plan = await router(input(request));
    const attempt = plan.attempts[0]!;
    state.started(attempt, request);
    const startedAt = now;
    const end = (outcome: CompletionOutcome) => {
      const profile = minimalProfile({
        requestId: 'r',
        startedAt,
        model: 'm',
        streamed: true,
        outcome,
        durationMs: now - startedAt,
        promptChars: 10,
        estimatedPromptTokens: 10,
        ...(outcome === 'ok' ? { timeToFirstTokenMs: 100, completionTokens: 10 } : {}),
      });
      state.finished(attempt as PlannedAttempt, request, profile, {
        failed: outcome !== 'ok',
        finishReason: 'stop',
        textCharacters: 10,
        toolCalls: [],
      });
    };
    // The runner trying the same attempt again (a retry): no routing in between.
    const retry = () => state.started(attempt, request);
    return { plan, end, retry };
  };
  const predictedLoadMs = async (request: ChatRequest) =>
    (await router.explain(input(request))).decision.attempts[0]!.predicted!.loadMs;
  return {
    send,
    chat,
    predictedLoadMs,
    cached: async (request: ChatRequest) => (await router(input(request))).attempts[0]!.expectedCachedTokens,
    /** A request for the model by name: its attempt runs without routing. */
    startUnrouted: (request: ChatRequest) =>
      state.started({ provider, model: 'm' } satisfies PlannedAttempt, request),
    advance: (ms: number) => {
      now += ms;
    },
  };
}

const system = (name: string) => `You are the ${name} assistant. `.repeat(40);

describe('a local model not in memory', () => {
  it('a request arriving while the model loads for one in flight waits for the rest of that load', async () => {
    const { send, chat, predictedLoadMs, advance } = setUp();
    expect(await predictedLoadMs(chat(system('a'), 'first'))).toBeCloseTo(loadMs, -2);
    const first = await send(chat(system('a'), 'first'));
    advance(1500);
    expect(await predictedLoadMs(chat(system('b'), 'second'))).toBeCloseTo(loadMs - 1500, -2);
    advance(3000);
    // Past the load's predicted end, not yet known loaded: running slow, a tenth of a load still expected.
    expect(await predictedLoadMs(chat(system('b'), 'third'))).toBeCloseTo(loadMs / 10, -1);
    // The client that asked for it left before a first token: nothing says the load went on.
    first.end('client_aborted');
    expect(await predictedLoadMs(chat(system('b'), 'fourth'))).toBeCloseTo(loadMs, -2);
  });

  it('a request that joined a load its starter abandoned waits for a whole load from then', async () => {
    // Ollama drops a load with the request that asked for it; the request still waiting begins another.
    const { send, chat, predictedLoadMs, advance } = setUp();
    const first = await send(chat(system('a'), 'first'));
    advance(1000);
    await send(chat(system('b'), 'joined'));
    advance(500);
    first.end('deadline_exceeded');
    advance(500);
    expect(await predictedLoadMs(chat(system('c'), 'third'))).toBeCloseTo(loadMs - 500, -2);
  });

  it('once the request that loaded it has answered, the model is in memory', async () => {
    const { send, chat, predictedLoadMs, advance } = setUp();
    const first = await send(chat(system('a'), 'first'));
    advance(5000);
    first.end('ok');
    expect(await predictedLoadMs(chat(system('b'), 'second'))).toBe(0);
  });

  it('has no prompt cache: a shared system prompt is expected cached only once it is loaded', async () => {
    const { send, chat, cached, advance } = setUp();
    const first = await send(chat(system('a'), 'first'));
    advance(100);
    expect(await cached(chat(system('a'), 'second'))).toBe(0);
    advance(5000);
    first.end('ok');
    expect(await cached(chat(system('a'), 'third'))).toBeGreaterThan(100);
  });
});

describe('what routing remembers of a load', () => {
  it('POST /v1/route/explain leaves it as it was, even between two tries of the request that loads', async () => {
    const { send, chat, predictedLoadMs, advance } = setUp();
    const first = await send(chat(system('a'), 'first'));
    advance(1000);
    first.end('upstream_error');
    // Nothing in flight for a moment: explain() must not drop the record of the load under way.
    await predictedLoadMs(chat(system('b'), 'explained'));
    first.retry();
    advance(1000);
    // The first try failed before its first token: the engine dropped its load, the retry began its own.
    expect(await predictedLoadMs(chat(system('b'), 'second'))).toBeCloseTo(loadMs - 1000, -2);
  });

  it('a record far older than a load is not trusted (the model was unloaded and reloaded unseen)', async () => {
    const { send, chat, predictedLoadMs, advance, startUnrouted } = setUp();
    const first = await send(chat(system('a'), 'first'));
    advance(4000);
    first.end('ok');
    // Unloaded after its keep-alive, then loaded again by a request for the model by name.
    advance(400_000);
    startUnrouted(chat(system('c'), 'by name'));
    expect(await predictedLoadMs(chat(system('b'), 'second'))).toBeCloseTo(loadMs, -2);
  });
});

describe('the prompt cache of a loaded model', () => {
  it('is gone once the model has left memory and been loaded again', async () => {
    const { send, chat, cached, advance } = setUp();
    const a = await send(chat(system('a'), 'question'));
    advance(5000);
    a.end('ok');
    expect(await cached(chat(system('a'), 'next'))).toBeGreaterThan(100);
    advance(400_000);
    const b = await send(chat(system('b'), 'question'));
    advance(5000);
    b.end('ok');
    expect(await cached(chat(system('b'), 'next'))).toBeGreaterThan(100);
    expect(await cached(chat(system('a'), 'next'))).toBe(0);
  });

  it('holds only as many recent prompts as the engine has slots (local_parallel_slots)', async () => {
    const { send, chat, cached, advance } = setUp();
    for (const name of ['a', 'b', 'c']) {
      const sent = await send(chat(system(name), 'question'));
      advance(3000);
      sent.end('ok');
    }
    // Two slots: the prompts of b and c are cached; a's slot has since served another prompt.
    expect(await cached(chat(system('c'), 'next'))).toBeGreaterThan(100);
    expect(await cached(chat(system('b'), 'next'))).toBeGreaterThan(100);
    expect(await cached(chat(system('a'), 'next'))).toBe(0);
  });
});
