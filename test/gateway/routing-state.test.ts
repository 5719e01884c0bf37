/**
 * @module test/gateway/routing-state
 * The live routing state's slowdown evidence: an attempt abandoned for want of a first token makes the
 * model look slower until two completions have come in, and no longer than ten times as long as the
 * abandoned attempt ran (or it could keep every request off the model, and none would come to clear it);
 * only the time the attempt held a slot counts.
 */
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import type { PlannedAttempt } from '../../src/gateway/attempt-runner.js';
import type { Clock } from '../../src/gateway/clock.js';
import { parseChatRequest } from '../../src/openai/chat-request.js';
import type { CompletionOutcome, CompletionProfile } from '../../src/profiler/completion-profile.js';
import { fakeProvider } from './attempt-fakes.js';
import { testRoutingState } from './routing-state-fixture.js';

function setUp() {
  let now = 1_000_000;
  const clock: Clock = { now: () => now, monotonic: () => now, sleep: async () => undefined };
  const state = testRoutingState(configSchema.parse({}), clock);
  const provider = fakeProvider('ollama', async function* () {});
  const cloud = fakeProvider('anthropic', async function* () {}, 'cloud');
  const request = parseChatRequest({ model: 'auto', messages: [{ role: 'user', content: 'hi' }] });
  /**
   * Starts an attempt predicted at 100 ms to its first token once it has a slot; the returned function
   * ends it with the given outcome (its duration: the time since it started).
   */
  const begin = (upstream: typeof provider = provider) => {
    const planned: PlannedAttempt = {
      provider: upstream,
      model: 'm',
      predictedTtftMs: 100,
      firstTokenDeadlineMs: 300,
    };
    state.planned(planned, { serviceMs: 500, ttftServiceMs: 100, speed: 1 });
    state.started(planned, request);
    const startedAt = now;
    return (outcome: CompletionOutcome) => {
      const durationMs = now - startedAt;
      const profile: CompletionProfile = {
        requestId: 'r',
        attempt: 0,
        startedAt,
        provider: upstream.id,
        model: 'm',
        locality: upstream.locality,
        streamed: true,
        outcome,
        durationMs,
        promptChars: 2,
        estimatedPromptTokens: 1,
        messageCount: 1,
        toolCount: 0,
        imageCount: 0,
        ...(outcome === 'ok' ? { timeToFirstTokenMs: 100, completionTokens: 10 } : {}),
      };
      state.finished(planned, request, profile, {
        failed: outcome !== 'ok',
        finishReason: 'stop',
        textCharacters: 10,
        toolCalls: [],
      });
    };
  };
  /** Runs one attempt of `durationMs` to the given outcome. */
  const attempt = (outcome: CompletionOutcome, durationMs: number) => {
    const finish = begin();
    now += durationMs;
    finish(outcome);
  };
  const advance = (ms: number) => {
    now += ms;
  };
  /** Starts an attempt whose plan predicts a 100-token answer at 4 ms a token, cut at 120 by max_tokens. */
  const startAnswer = () => {
    const planned: PlannedAttempt = { provider, model: 'm' };
    state.planned(planned, {
      serviceMs: 500,
      ttftServiceMs: 100,
      answer: { expectedTokens: 100, msPerToken: 4, lengthLogSigma: 0.3, maxTokens: 120 },
    });
    return state.started(planned, request);
  };
  return { state, attempt, begin, advance, startAnswer, cloud, now: () => now };
}

describe('slowdown evidence from abandoned attempts', () => {
  it('an attempt abandoned at 3× its predicted first token makes the model look 3× slower', () => {
    const { state, attempt } = setUp();
    expect(state.slowdownEvidence('ollama', 'm', 1)).toBe(1);
    attempt('deadline_exceeded', 300);
    expect(state.slowdownEvidence('ollama', 'm', 1)).toBeCloseTo(3, 6);
    // A fit that has slowed down since already knows: the evidence is relative to the speed assumed.
    expect(state.slowdownEvidence('ollama', 'm', 0.5)).toBeCloseTo(1.5, 6);
  });

  it('an attempt that spent its deadline queued behind another is no evidence: the queue stalled it, not the engine', () => {
    const { state, begin, advance } = setUp();
    // One slot (the default): a long answer holds it.
    const finishLong = begin();
    const finishQueued = begin();
    advance(300);
    finishQueued('deadline_exceeded');
    expect(state.slowdownEvidence('ollama', 'm', 1)).toBe(1);
    finishLong('ok');
  });

  it('an attempt that got its slot late counts only its time on the slot', () => {
    const { state, begin, advance } = setUp();
    const finishLong = begin();
    const finishQueued = begin();
    advance(200);
    finishLong('ok');
    // Queued for 200 ms, then 300 ms on the slot without a first token: 3× its predicted 100 ms, not 5×.
    advance(300);
    finishQueued('deadline_exceeded');
    expect(state.slowdownEvidence('ollama', 'm', 1)).toBeCloseTo(3, 6);
  });

  it('is cleared by two completions', () => {
    const { state, attempt } = setUp();
    attempt('deadline_exceeded', 300);
    attempt('ok', 400);
    expect(state.slowdownEvidence('ollama', 'm', 1)).toBeCloseTo(3, 6);
    attempt('ok', 400);
    expect(state.slowdownEvidence('ollama', 'm', 1)).toBe(1);
  });

  it('lapses after ten times the abandoned attempt’s duration when no completion comes', () => {
    const { state, attempt, advance } = setUp();
    attempt('deadline_exceeded', 300);
    advance(2_999);
    expect(state.slowdownEvidence('ollama', 'm', 1)).toBeCloseTo(3, 6);
    advance(1);
    expect(state.slowdownEvidence('ollama', 'm', 1)).toBe(1);
    // A new abandonment after the lapse counts again, even if it shows less than the lapsed one did.
    attempt('deadline_exceeded', 200);
    expect(state.slowdownEvidence('ollama', 'm', 1)).toBeCloseTo(2, 6);
  });
});

describe('slowdown evidence from the pace of answers streaming now', () => {
  it('shows before any attempt fails or completes, and is the larger of the two kinds of evidence', () => {
    const { state, advance, now } = setUp();
    const planned: PlannedAttempt = { provider: fakeProvider('ollama', async function* () {}), model: 'm' };
    state.planned(planned, { serviceMs: 4000, speed: 1, answer: { expectedTokens: 400, msPerToken: 10 } });
    const progress = state.started(
      planned,
      parseChatRequest({ model: 'auto', messages: [{ role: 'user', content: 'hi' }] }),
    );
    advance(2000);
    expect(state.slowdownEvidence('ollama', 'm', 1)).toBe(1);
    // Its last two laps of 16 tokens came 40 ms apart: four times slower than planned.
    progress.pieces = 48;
    progress.earlierLapAt = now() - 1280;
    progress.previousLapAt = now() - 640;
    progress.lapAt = now();
    expect(state.slowdownEvidence('ollama', 'm', 1)).toBeCloseTo(4, 6);
  });

  it('outlives the slow answer that showed it, until two completions of the model come in', () => {
    const { state, advance, now, attempt } = setUp();
    const request = parseChatRequest({ model: 'auto', messages: [{ role: 'user', content: 'hi' }] });
    const planned: PlannedAttempt = { provider: fakeProvider('ollama', async function* () {}), model: 'm' };
    state.planned(planned, { serviceMs: 4000, speed: 1, answer: { expectedTokens: 400, msPerToken: 10 } });
    const progress = state.started(planned, request);
    const startedAt = now();
    advance(5000);
    progress.pieces = 400;
    progress.earlierLapAt = now() - 960;
    progress.previousLapAt = now() - 480;
    progress.lapAt = now();
    state.finished(
      planned,
      request,
      {
        requestId: 'slow',
        attempt: 0,
        startedAt,
        provider: 'ollama',
        model: 'm',
        locality: 'local',
        streamed: true,
        outcome: 'ok',
        durationMs: 5000,
        promptChars: 2,
        estimatedPromptTokens: 1,
        messageCount: 1,
        toolCount: 0,
        imageCount: 0,
        timeToFirstTokenMs: 100,
        completionTokens: 400,
      },
      { failed: false, finishReason: 'stop', textCharacters: 400, toolCalls: [] },
    );
    // Its last lap ran 30 ms a token against 10: nothing streams now, and the evidence holds.
    expect(state.slowdownEvidence('ollama', 'm', 1)).toBeCloseTo(3, 6);
    attempt('ok', 100);
    expect(state.slowdownEvidence('ollama', 'm', 1)).toBeCloseTo(3, 6);
    attempt('ok', 100);
    expect(state.slowdownEvidence('ollama', 'm', 1)).toBe(1);
  });
});

describe('the wait for a slot', () => {
  it('reads how far the answer on the slot has got: one near max_tokens frees it soon', () => {
    const { state, startAnswer, advance, now } = setUp();
    const progress = startAnswer();
    advance(300);
    // Not streaming yet: 300 ms into a predicted 500.
    const blind = state.expectedQueueWaitMs('ollama', 'm', 1);
    expect(blind).toBeGreaterThan(150);
    // Streaming: 115 tokens out in 200 ms (faster than planned), at most 5 left at its own pace.
    progress.firstEventAt = now() - 200;
    progress.pieces = 115;
    const near = state.expectedQueueWaitMs('ollama', 'm', 1);
    // 115 pieces span 114 intervals.
    expect(near).toBeLessThanOrEqual((5 * 200) / 114 + 1e-6);
    // Only 10 tokens out: most of a 100-token answer at the planned pace is still to come.
    progress.pieces = 10;
    expect(state.expectedQueueWaitMs('ollama', 'm', 1)).toBeGreaterThan(70 * 4);
  });
});

describe('the circuit breaker', () => {
  it('counts attempts abandoned on a slot, not those abandoned while queued behind other answers', () => {
    const { state, begin, advance, now } = setUp();
    // One slot (the default): a long answer holds it while five more wait past their deadline.
    const finishLong = begin();
    for (let queued = 0; queued < 5; queued++) {
      const finishQueued = begin();
      advance(300);
      finishQueued('deadline_exceeded');
    }
    expect(state.breaker('ollama').state(now())).toBe('closed');
    finishLong('ok');
    // Five abandoned on the slot itself (the default threshold): the engine is stalling.
    for (let stalled = 0; stalled < 5; stalled++) {
      const finishStalled = begin();
      advance(300);
      finishStalled('deadline_exceeded');
    }
    expect(state.breaker('ollama').state(now())).toBe('open');
  });

  it('counts a cloud attempt that timed out, however many others ran beside it: switchyard models no cloud slots', () => {
    const { state, begin, advance, cloud, now } = setUp();
    const finishLong = begin(cloud);
    for (let timedOut = 0; timedOut < 5; timedOut++) {
      const finishTimedOut = begin(cloud);
      advance(300);
      finishTimedOut('deadline_exceeded');
    }
    expect(state.breaker('anthropic').state(now())).toBe('open');
    finishLong('ok');
  });
});
