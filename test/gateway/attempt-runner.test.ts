/**
 * @module test/gateway/attempt-runner
 * The attempt runner before commitment: success, retries and backoff (sleeps recorded by a fake clock),
 * escalation, the first-token deadline, and what each try's profile row says.
 */
import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../src/errors.js';
import { type PlannedAttempt, tryDeadlineMs } from '../../src/gateway/attempt-runner.js';
import type { ChatEvent } from '../../src/providers/provider.js';
import {
  abortOf,
  answers,
  drain,
  fakeProvider,
  finish,
  flaky,
  overloaded,
  setup,
  summary,
} from './attempt-fakes.js';

describe('startAttempts', () => {
  it('answers from the first attempt and profiles it once', async () => {
    const { run, records, observed, sleeps } = setup();
    const local = fakeProvider('ollama', () => answers('Hel', 'lo'));
    const started = await run([
      { provider: local, model: 'qwen', predictedTtftMs: 120, predictedTotalMs: 900 },
    ]);
    expect(started.escalatedFrom).toEqual([]);
    expect(records).toEqual([]);
    expect(await drain(started.events)).toEqual([
      { type: 'text-delta', text: 'Hel' },
      { type: 'text-delta', text: 'lo' },
      finish,
    ]);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({
      requestId: 'req-1',
      attempt: 0,
      provider: 'ollama',
      model: 'qwen',
      locality: 'local',
      streamed: true,
      outcome: 'ok',
      finishReason: 'stop',
      promptTokens: 10,
      completionTokens: 2,
      costDollars: 10 * 0.001 + 2 * 0.002,
      decisionReason: 'fastest',
      complexity: 'simple',
      predictedTtftMs: 120,
      predictedTotalMs: 900,
    });
    expect(records[0]?.errorKind).toBeUndefined();
    expect(observed).toEqual(['started ollama', 'finished ollama ok']);
    expect(sleeps).toEqual([]);
    expect(local.calls[0]).toMatchObject({ model: 'qwen', requestId: 'req-1' });
  });

  it('records a successful answer after its last event has been handed on, not before', async () => {
    const { run, records, observed } = setup();
    const local = fakeProvider('ollama', () => answers('ok'));
    const started = await run([{ provider: local, model: 'qwen' }]);
    const seen: string[] = [];
    for await (const event of started.events) seen.push(event.type);
    expect(seen).toEqual(['text-delta', 'finish']);
    // The response can be finished before the bookkeeping runs…
    expect(records).toEqual([]);
    expect(observed).toEqual(['started ollama']);
    // …which happens on the next turn of the event loop.
    await new Promise((resolve) => setImmediate(resolve));
    expect(records.map((record) => record.outcome)).toEqual(['ok']);
    expect(observed).toEqual(['started ollama', 'finished ollama ok']);
  });

  it('keeps the observer’s progress record up to date: when the first event came, and pieces so far', async () => {
    const { run, progresses } = setup();
    const local = fakeProvider('ollama', async function* () {
      yield { type: 'reasoning-delta', text: 'hm' } satisfies ChatEvent;
      yield { type: 'text-delta', text: 'a' } satisfies ChatEvent;
      yield { type: 'tool-call-start', index: 0, id: 'call_1', name: 'f' } satisfies ChatEvent;
      yield { type: 'tool-call-delta', index: 0, argumentsDelta: '{}' } satisfies ChatEvent;
      yield finish;
    });
    const started = await run([{ provider: local, model: 'qwen' }]);
    // The first event is read before the attempt is handed over: its time is known, its piece not yet counted.
    expect(progresses).toEqual([{ firstEventAt: 1_700_000_000_000, pieces: 0 }]);
    const iterator = started.events[Symbol.asyncIterator]();
    await iterator.next();
    await iterator.next();
    expect(progresses[0]?.pieces).toBe(2);
    await drain({ [Symbol.asyncIterator]: () => iterator });
    // Reasoning, text and tool-argument pieces count; the tool call's start and the finish do not.
    expect(progresses[0]?.pieces).toBe(3);
  });

  it('marks the time of every sixteenth piece, for the answer’s recent pace', async () => {
    const { run, progresses } = setup();
    const local = fakeProvider('ollama', async function* () {
      for (let piece = 0; piece < 50; piece++) yield { type: 'text-delta', text: 'x' } satisfies ChatEvent;
      yield finish;
    });
    const started = await run([{ provider: local, model: 'qwen' }]);
    await drain(started.events);
    expect(progresses[0]).toMatchObject({
      pieces: 50,
      lapAt: 1_700_000_000_000,
      previousLapAt: 1_700_000_000_000,
      earlierLapAt: 1_700_000_000_000,
    });
  });

  it('retries a retryable error before the first event with exponential backoff', async () => {
    const { run, records, sleeps, metrics } = setup();
    const provider = fakeProvider('ollama', flaky(2, overloaded));
    const started = await run([{ provider, model: 'qwen' }]);
    await drain(started.events);
    expect(sleeps).toEqual([100, 200]);
    expect(provider.calls).toHaveLength(3);
    expect(summary(records)).toEqual([
      { attempt: 0, provider: 'ollama', model: 'qwen', outcome: 'upstream_error', errorKind: 'overloaded' },
      { attempt: 1, provider: 'ollama', model: 'qwen', outcome: 'upstream_error', errorKind: 'overloaded' },
      { attempt: 2, provider: 'ollama', model: 'qwen', outcome: 'ok', errorKind: undefined },
    ]);
    const retries = await metrics.retries.get();
    expect(retries.values).toEqual([
      expect.objectContaining({
        value: 2,
        labels: { provider: 'ollama', model: 'qwen', kind: 'overloaded' },
      }),
    ]);
  });

  it('retries a stream that broke before its first event: the client has seen nothing yet', async () => {
    const { run, records } = setup();
    const cut = () => new GatewayError('stream_interrupted', 'cut', { provider: 'p' });
    const provider = fakeProvider('anthropic', flaky(1, cut), 'cloud');
    const started = await run([{ provider, model: 'claude' }]);
    expect(await drain(started.events)).toEqual([{ type: 'text-delta', text: 'ok' }, finish]);
    expect(provider.calls).toHaveLength(2);
    expect(summary(records).map((record) => record.errorKind)).toEqual(['stream_interrupted', undefined]);
  });

  it('applies jitter from random and caps the backoff at max_delay_ms', async () => {
    const jittered = setup({ random: 0 });
    await jittered.run([{ provider: fakeProvider('a', flaky(2, overloaded)), model: 'm' }]);
    expect(jittered.sleeps).toEqual([50, 100]);
    const capped = setup({ retry: { max_retries: 4, base_delay_ms: 300 } });
    await capped.run([{ provider: fakeProvider('a', flaky(4, overloaded)), model: 'm' }]);
    expect(capped.sleeps).toEqual([300, 600, 1000, 1000]);
  });

  it('honours retry-after of a rate limit', async () => {
    const { run, sleeps } = setup();
    const limited = () => new GatewayError('rate_limited', 'slow down', { retryAfterSeconds: 0.75 });
    await run([{ provider: fakeProvider('anthropic', flaky(1, limited), 'cloud'), model: 'claude' }]);
    expect(sleeps).toEqual([750]);
  });

  it('does not wait on a retry-after longer than max_delay_ms: it moves on to the next attempt', async () => {
    const { run, sleeps, records } = setup();
    const limited = () => new GatewayError('rate_limited', 'later', { retryAfterSeconds: 30 });
    const first = fakeProvider('anthropic', flaky(9, limited), 'cloud');
    const second = fakeProvider('gemini', () => answers('hi'), 'cloud');
    const started = await run([
      { provider: first, model: 'claude' },
      { provider: second, model: 'flash' },
    ]);
    expect(sleeps).toEqual([]);
    expect(first.calls).toHaveLength(1);
    expect(started.attempt.provider).toBe(second);
    await drain(started.events);
    expect(summary(records).map((r) => r.outcome)).toEqual(['upstream_error', 'ok']);
  });

  it('gives up after max_retries and throws the last error when nothing is left', async () => {
    const { run, sleeps, records } = setup();
    const provider = fakeProvider('ollama', flaky(99, overloaded));
    await expect(run([{ provider, model: 'qwen' }])).rejects.toMatchObject({ kind: 'overloaded' });
    expect(provider.calls).toHaveLength(3);
    expect(sleeps).toHaveLength(2);
    expect(records.map((r) => r.attempt)).toEqual([0, 1, 2]);
  });

  it('does not retry a non-retryable error, and escalates with escalatedFrom', async () => {
    const { run, records, sleeps, observed } = setup();
    const local = fakeProvider(
      'ollama',
      flaky(1, () => new GatewayError('model_not_found', 'pull it')),
    );
    const cloud = fakeProvider('anthropic', () => answers('from the cloud'), 'cloud');
    const plan = [
      { provider: local, model: 'qwen' },
      { provider: cloud, model: 'claude' },
    ];
    const started = await run(plan);
    expect(local.calls).toHaveLength(1);
    expect(sleeps).toEqual([]);
    expect(started.attempt).toBe(plan[1]);
    expect(started.escalatedFrom).toEqual([plan[0]]);
    await drain(started.events);
    expect(summary(records)).toEqual([
      {
        attempt: 0,
        provider: 'ollama',
        model: 'qwen',
        outcome: 'upstream_error',
        errorKind: 'model_not_found',
      },
      { attempt: 1, provider: 'anthropic', model: 'claude', outcome: 'ok', errorKind: undefined },
    ]);
    expect(records[1]?.escalatedFrom).toBe('ollama/qwen');
    expect(records[0]?.escalatedFrom).toBeUndefined();
    expect(observed).toEqual([
      'started ollama',
      'finished ollama upstream_error',
      'started anthropic',
      'finished anthropic ok',
    ]);
  });

  it('abandons an attempt at its first-token deadline, aborting it, and escalates', async () => {
    const { run, records } = setup();
    const slow = fakeProvider('ollama', async function* (context) {
      await abortOf(context.signal);
      yield* answers('too late');
    });
    const fast = fakeProvider('anthropic', () => answers('fast'), 'cloud');
    const started = await run([
      { provider: slow, model: 'qwen', firstTokenDeadlineMs: 5 },
      { provider: fast, model: 'claude', firstTokenDeadlineMs: 5_000 },
    ]);
    expect(slow.calls[0]?.signal.aborted).toBe(true);
    expect(started.attempt.provider).toBe(fast);
    expect((await drain(started.events)).map((event) => event.type)).toEqual(['text-delta', 'finish']);
    expect(summary(records)).toEqual([
      { attempt: 0, provider: 'ollama', model: 'qwen', outcome: 'deadline_exceeded', errorKind: 'timeout' },
      { attempt: 1, provider: 'anthropic', model: 'claude', outcome: 'ok', errorKind: undefined },
    ]);
    expect(records[0]?.errorMessage).toContain('5 ms');
    expect(fast.calls[0]?.signal.aborted).toBe(false);
  });

  it('does not start a later local attempt with less time left than its predicted first token', async () => {
    // The first model fails three times (two backoffs: 300 ms on the fake clock); the second must give
    // up by 350 ms from the start for the cloud to be in time, but needs ~100 ms: it is skipped.
    const { run, records } = setup();
    const first = fakeProvider('ollama', flaky(3, overloaded));
    const second = fakeProvider('ollama-2', () => answers('late'));
    const cloud = fakeProvider('anthropic', () => answers('cloud'), 'cloud');
    const started = await run([
      { provider: first, model: 'qwen', firstTokenDeadlineMs: 5_000, firstTokenByMs: 2_000 },
      {
        provider: second,
        model: 'llama',
        firstTokenDeadlineMs: 5_000,
        firstTokenByMs: 350,
        predictedTtftMs: 100,
      },
      { provider: cloud, model: 'claude' },
    ]);
    expect(started.attempt.provider).toBe(cloud);
    expect(second.calls).toHaveLength(0);
    // Escalated from the attempt that was tried, not the one skipped.
    expect(started.escalatedFrom.map((attempt) => attempt.model)).toEqual(['qwen']);
    await drain(started.events);
    expect(summary(records).map((record) => record.model)).toEqual(['qwen', 'qwen', 'qwen', 'claude']);
  });

  it('counts the time to give up by from the request’s arrival, not from the first attempt', async () => {
    // Routing took 250 ms before the attempts began: 50 ms are left of the 300.
    const { run, records } = setup({ receivedAt: -250 });
    const stalled = fakeProvider('ollama', async function* (context) {
      await abortOf(context.signal);
      yield* answers('too late');
    });
    const cloud = fakeProvider('anthropic', () => answers('cloud'), 'cloud');
    const started = await run([
      {
        provider: stalled,
        model: 'qwen',
        firstTokenDeadlineMs: 5_000,
        firstTokenByMs: 300,
        firstTokenNeededMs: 10,
      },
      { provider: cloud, model: 'claude' },
    ]);
    expect(started.attempt.provider).toBe(cloud);
    await drain(started.events);
    expect(records.find((record) => record.model === 'qwen')?.errorMessage).toContain('within 50 ms');
  });

  it('holds a later local attempt to what is left of the time its fallback needs', async () => {
    // 300 ms gone in the first model's backoffs: the second has 20 ms left of its 320, not its own 5 s.
    const { run, records } = setup();
    const first = fakeProvider('ollama', flaky(3, overloaded));
    const second = fakeProvider('ollama-2', async function* (context) {
      await abortOf(context.signal);
      yield* answers('too late');
    });
    const cloud = fakeProvider('anthropic', () => answers('cloud'), 'cloud');
    const started = await run([
      { provider: first, model: 'qwen' },
      {
        provider: second,
        model: 'llama',
        firstTokenDeadlineMs: 5_000,
        firstTokenByMs: 320,
        predictedTtftMs: 5,
      },
      { provider: cloud, model: 'claude' },
    ]);
    expect(started.attempt.provider).toBe(cloud);
    expect(second.calls[0]?.signal.aborted).toBe(true);
    expect(started.escalatedFrom.map((attempt) => attempt.model)).toEqual(['qwen', 'llama']);
    await drain(started.events);
    const timedOut = records.find((record) => record.model === 'llama');
    expect(timedOut?.outcome).toBe('deadline_exceeded');
    expect(timedOut?.errorMessage).toContain('within 20 ms');
  });

  it('derives prefill and decode rates and cold start from engine timings', async () => {
    const { run, records } = setup();
    const timed = (loadDurationNs: number): ChatEvent => ({
      type: 'finish',
      finishReason: 'stop',
      usage: { promptTokens: 200, completionTokens: 50, cachedPromptTokens: 100 },
      engine: {
        loadDurationNs,
        promptEvalCount: 200,
        promptEvalDurationNs: 500_000_000,
        evalCount: 50,
        evalDurationNs: 2_000_000_000,
        totalDurationNs: 2_600_000_000,
        doneReason: 'stop',
        contextSize: 8192,
      },
    });
    for (const load of [1_000_000_000, 20_000_000]) {
      const provider = fakeProvider('ollama', async function* () {
        yield timed(load);
      });
      await drain((await run([{ provider, model: 'qwen' }])).events);
    }
    expect(records[0]).toMatchObject({
      prefillTokensPerSecond: 400,
      decodeTokensPerSecond: 25,
      coldStart: true,
      numCtx: 8192,
      doneReason: 'stop',
      loadDurationNs: 1_000_000_000,
      cachedPromptTokens: 100,
      costDollars: 200 * 0.001 + 50 * 0.002,
    });
    expect(records[1]?.coldStart).toBe(false);
  });

  it('treats an attempt that ends without any event as a failure and escalates', async () => {
    const { run, records } = setup();
    const empty = fakeProvider('ollama', async function* () {});
    const started = await run([
      { provider: empty, model: 'qwen' },
      { provider: fakeProvider('anthropic', () => answers('x'), 'cloud'), model: 'claude' },
    ]);
    expect(started.attempt.model).toBe('claude');
    expect(summary(records)[0]).toMatchObject({ outcome: 'upstream_error', errorKind: 'stream_interrupted' });
  });

  it('refuses an empty plan', async () => {
    await expect(setup().run([])).rejects.toMatchObject({ kind: 'internal' });
  });
});

describe('tryDeadlineMs', () => {
  const attempt = (fields: Partial<PlannedAttempt>): PlannedAttempt => ({
    provider: fakeProvider('ollama', () => answers('ok')),
    model: 'qwen',
    ...fields,
  });

  it('is the attempt’s own deadline without a point to give up by', () => {
    expect(tryDeadlineMs(attempt({ firstTokenDeadlineMs: 900 }), 5_000)).toBe(900);
    expect(tryDeadlineMs(attempt({}), 5_000)).toBeUndefined();
  });

  it('is what is left until the point to give up by, when that comes first', () => {
    const timed = attempt({ firstTokenDeadlineMs: 3_000, firstTokenByMs: 2_500, predictedTtftMs: 200 });
    expect(tryDeadlineMs(timed, 0)).toBe(2_500);
    expect(tryDeadlineMs(timed, 1_000)).toBe(1_500);
    expect(tryDeadlineMs(attempt({ firstTokenByMs: 2_500 }), 1_000)).toBe(1_500);
  });

  it('skips the attempt when less is left than the first token it was chosen on', () => {
    const timed = attempt({
      firstTokenDeadlineMs: 3_000,
      firstTokenByMs: 2_500,
      firstTokenNeededMs: 600,
      predictedTtftMs: 200,
    });
    expect(tryDeadlineMs(timed, 1_900)).toBe(600);
    expect(tryDeadlineMs(timed, 1_901)).toBe('skip');
  });

  it('never skips the plan’s first try, nor cuts it below the first token it was chosen on', () => {
    const timed = attempt({ firstTokenDeadlineMs: 3_000, firstTokenByMs: 2_500, firstTokenNeededMs: 600 });
    // Routing itself took longer than the time to give up by (a pathological case): still tried.
    expect(tryDeadlineMs(timed, 2_600, { first: true })).toBe(600);
    expect(tryDeadlineMs(timed, 2_600)).toBe('skip');
    expect(tryDeadlineMs(timed, 100, { first: true })).toBe(2_400);
  });

  it('never gives a try a deadline of 0 ms', () => {
    expect(tryDeadlineMs(attempt({ firstTokenByMs: 2_500 }), 2_499.8)).toBe(1);
  });

  it('skips the attempt when less is left than its predicted first token, or nothing', () => {
    const timed = attempt({ firstTokenDeadlineMs: 3_000, firstTokenByMs: 2_500, predictedTtftMs: 200 });
    expect(tryDeadlineMs(timed, 2_301)).toBe('skip');
    expect(tryDeadlineMs(timed, 2_300)).toBe(200);
    expect(tryDeadlineMs(attempt({ firstTokenByMs: 2_500 }), 2_500)).toBe('skip');
  });
});
