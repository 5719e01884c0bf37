/**
 * @module test/routing/decide-speed
 * decide() on the performance side: a warm fast model stays local with the cloud as fallback, a cold
 * load, a queue, a tighter deadline or a longer prompt push it to the cloud, the prefix cache pulls it
 * back, exploration happens at the configured rate, and twenty candidates behave like one.
 */
import { describe, expect, it, vi } from 'vitest';
import { decide } from '../../src/routing/decide.js';
import { fallbackSlack } from '../../src/routing/decision-attempts.js';
import { normalQuantile } from '../../src/routing/normal-distribution.js';
import {
  cloudCandidate,
  decisionInput,
  features,
  fittedModel,
  localCandidate,
  noRandom,
  policy,
  predictionFor,
  seededRandom,
} from './fixtures.js';

const p90 = normalQuantile(0.9);
const rounded = (ms: number) => `${Math.round(ms)} ms`;

describe('a warm local model that meets the deadlines', () => {
  it('goes local first, with the cloud as fallback and a first-token deadline sized from the prediction', () => {
    const local = localCandidate();
    const predicted = predictionFor(local);
    const decision = decide(decisionInput({ local: [local], random: noRandom }));

    expect(decision.reason).toBe('local_fast_enough');
    expect(decision.attempts.map((attempt) => [attempt.locality, attempt.model])).toEqual([
      ['local', 'qwen2.5-coder:7b'],
      ['cloud', 'claude-haiku-4-5'],
    ]);
    const [first, fallback] = decision.attempts;
    const ttftHighMs = predicted.ttftMs * Math.exp(p90 * 0.1);
    // Twice the p90 first token, at least 500 ms, never past the deadline.
    expect(first!.firstTokenDeadlineMs).toBe(Math.round(Math.max(500, 2 * ttftHighMs)));
    expect(first!.firstTokenDeadlineMs).toBeLessThan(decision.deadlines.ttftMs);
    expect(first!.predicted!.ttftMs).toBeCloseTo(predicted.ttftMs, 6);
    expect(first!.predicted!.totalMs).toBeCloseTo(predicted.totalMs, 6);
    expect(fallback!.firstTokenDeadlineMs).toBeUndefined();
    expect(fallback!.predicted!.totalMs).toBeCloseTo(900 + (200 / 70) * 1000, 6);
    expect(decision.deadlines).toEqual({ ttftMs: 4000, totalMs: 60_000 });

    expect(decision.sentence).toContain('ollama/qwen2.5-coder:7b meets the deadlines');
    expect(decision.sentence).toContain(`predicted first token ${rounded(predicted.ttftMs)}`);
    expect(decision.sentence).toContain(`total ${rounded(predicted.totalMs)}`);
    expect(decision.sentence).toContain('deadlines: first token 4000 ms, total 60000 ms');
  });

  it('lists every fast local model, each with a deadline, before the cloud', () => {
    const small = localCandidate({ model: 'llama3.2:3b', latency: fittedModel({ decodeRate0: 90 }) });
    const decision = decide(decisionInput({ local: [localCandidate(), small] }));
    expect(decision.attempts.map((attempt) => `${attempt.locality}:${attempt.model}`)).toEqual([
      'local:qwen2.5-coder:7b',
      'local:llama3.2:3b',
      'cloud:claude-haiku-4-5',
    ]);
    expect(decision.attempts.slice(0, 2).every((attempt) => attempt.firstTokenDeadlineMs! >= 500)).toBe(true);
    // The second is held to the cloud's first-token slack from the request's start (4 000 − 2 × 900 ms),
    // and says what first token it was chosen on, below which the runner does not start it.
    const second = decision.attempts[1]!;
    expect(second.firstTokenByMs).toBe(2200);
    expect(second.firstTokenNeededMs).toBeGreaterThan(0);
    expect(second.firstTokenNeededMs).toBeLessThanOrEqual(2200);
  });

  it('a second local model is not held to the slack of a cloud that cannot meet the deadline anyway', () => {
    // 1 500 ms first-token deadline, the cloud's 90th percentile first token 1 800 ms: no slack at all.
    const small = localCandidate({ model: 'llama3.2:3b', latency: fittedModel({ decodeRate0: 90 }) });
    const decision = decide(
      decisionInput({ local: [localCandidate(), small], overrides: { deadlineMs: 1500 }, random: noRandom }),
    );
    expect(decision.attempts[1]!.model).toBe('llama3.2:3b');
    expect(decision.attempts[1]!.firstTokenByMs).toBeUndefined();
  });

  it('a second local model whose first token lies past the cloud’s slack is marked to be skipped', () => {
    // Cold with a 2.5 s load: meets the 4 000 ms first-token deadline, not the 2 200 ms slack.
    const cold = localCandidate({
      model: 'llama3.2:3b',
      loaded: false,
      latency: fittedModel({ loadMs: 2500 }),
    });
    const decision = decide(decisionInput({ local: [localCandidate(), cold], random: noRandom }));
    const second = decision.attempts[1]!;
    expect(second.model).toBe('llama3.2:3b');
    expect(second.firstTokenByMs).toBe(2200);
    expect(second.firstTokenNeededMs).toBeGreaterThan(2200);
  });

  // The cloud fallback leaves 2 200 ms: the 4 000 ms first-token deadline minus its p90 first token
  // (2 × 900 ms).
  const fallbackSlackMs = 4000 - 1800;
  const bounds = (candidate: ReturnType<typeof localCandidate>, quantile = 0.75) => {
    const { ttftMs } = predictionFor(candidate);
    const spread = candidate.latency.logSigmaTtft;
    return {
      median: ttftMs,
      decided: ttftMs * Math.exp(normalQuantile(quantile) * spread),
      p90: ttftMs * Math.exp(p90 * spread),
    };
  };

  it('gives up on local in time for the cloud’s first token when that leaves local what it was chosen on', () => {
    // Cold with a 1.4 s load and a wide spread: the 75th percentile first token (what routing decides
    // on) fits in the 2 200 ms, the 90th does not.
    const cold = localCandidate({
      loaded: false,
      latency: fittedModel({ loadMs: 1400, logSigmaTtft: 0.35 }),
    });
    const { decided, p90: high } = bounds(cold);
    expect(decided).toBeLessThanOrEqual(fallbackSlackMs);
    expect(high).toBeGreaterThan(fallbackSlackMs);
    const decision = decide(decisionInput({ local: [cold], random: noRandom }));
    expect(decision.reason).toBe('local_fast_enough');
    expect(decision.attempts[0]!.firstTokenDeadlineMs).toBe(fallbackSlackMs);
    // The same point counted from the request's start, for attempts that start later (a second model).
    expect(decision.attempts[0]!.firstTokenByMs).toBe(fallbackSlackMs);
    expect(decision.attempts[1]!.firstTokenByMs).toBeUndefined();
  });

  it('keeps local’s deadline when the cloud’s slack would cut it below what it was chosen on', () => {
    // Cold with a 2.5 s load: the 75th percentile first token meets 4 000 ms but not the 2 200 ms.
    const cold = localCandidate({ loaded: false, latency: fittedModel({ loadMs: 2500 }) });
    expect(bounds(cold).decided).toBeGreaterThan(fallbackSlackMs);
    const decision = decide(decisionInput({ local: [cold], random: noRandom }));
    expect(decision.reason).toBe('local_fast_enough');
    expect(decision.attempts[0]!.firstTokenDeadlineMs).toBe(4000);
    expect(decision.attempts[0]!.firstTokenByMs).toBeUndefined();
  });

  it('does not cut below the decided first token even when the median fits in the slack', () => {
    // A very uncertain model: its median first token fits in the 2 200 ms, its 75th percentile does not.
    const uncertain = localCandidate({
      loaded: false,
      latency: fittedModel({ loadMs: 1400, logSigmaTtft: 0.8 }),
    });
    const { median, decided } = bounds(uncertain);
    expect(median).toBeLessThanOrEqual(fallbackSlackMs);
    expect(decided).toBeGreaterThan(fallbackSlackMs);
    const decision = decide(decisionInput({ local: [uncertain], random: noRandom }));
    expect(decision.reason).toBe('local_fast_enough');
    expect(decision.attempts[0]!.firstTokenDeadlineMs).toBe(4000);
  });

  it('with a decision quantile above the 90th percentile, neither cut goes below the decided first token', () => {
    // At 0.99 the decided first token lies past the 90th percentile: the slack of both deadlines
    // (2 200 ms here) covers the 90th but not the 99th, so it must not cut either.
    const uncertain = localCandidate({
      loaded: false,
      latency: fittedModel({ loadMs: 700, logSigmaTtft: 0.5 }),
    });
    const wide = policy({ deadline_quantile: 0.99 });
    const { decided, p90: high } = bounds(uncertain, 0.99);
    expect(high).toBeLessThanOrEqual(fallbackSlackMs);
    expect(decided).toBeGreaterThan(fallbackSlackMs);
    const decision = decide(decisionInput({ local: [uncertain], policy: wide, random: noRandom }));
    expect(decision.reason).toBe('local_fast_enough');
    expect(decision.attempts[0]!.firstTokenDeadlineMs).toBeGreaterThan(decided);
  });

  it('a cut never goes below the 500 ms floor', () => {
    // A 2 120 ms first-token deadline leaves the cloud's fallback 320 ms of slack, which the warm model's
    // decided first token fits in: it is cut, but to 500 ms, not 320.
    const warm = localCandidate();
    expect(bounds(warm).decided).toBeLessThanOrEqual(320);
    const decision = decide(
      decisionInput({ local: [warm], policy: policy({ ttft_deadline_ms: 2120 }), random: noRandom }),
    );
    expect(decision.reason).toBe('local_fast_enough');
    expect(decision.attempts[0]!.firstTokenDeadlineMs).toBe(500);
  });

  it('the first-token deadline never exceeds a deadline below the 500 ms floor', () => {
    const decision = decide(decisionInput({ policy: policy({ ttft_deadline_ms: 400 }) }));
    expect(decision.reason).toBe('local_fast_enough');
    expect(decision.attempts[0]!.firstTokenDeadlineMs).toBe(400);
  });
});

describe('what makes local too slow', () => {
  it('a cold model whose load breaks the first-token deadline: cloud first, local as the last resort', () => {
    const cold = localCandidate({ loaded: false });
    const predicted = predictionFor(cold);
    expect(predicted.loadMs).toBe(5000);
    // The prediction is far enough above the deadline that exploring is not even considered.
    const decision = decide(decisionInput({ local: [cold], random: noRandom }));

    expect(decision.reason).toBe('local_too_slow');
    expect(decision.attempts.map((attempt) => attempt.locality)).toEqual(['cloud', 'local']);
    expect(decision.attempts[1]!.firstTokenDeadlineMs).toBeUndefined();
    // The attempt says how much of its predicted time is the load (explanations, the routing bench).
    expect(decision.attempts[1]!.predicted!.loadMs).toBe(5000);
    expect(decision.sentence).toContain(
      `fastest: ollama/qwen2.5-coder:7b, predicted first token ${rounded(predicted.ttftMs)}`,
    );
    expect(decision.sentence).toContain('first token 4000 ms');
    expect(decision.sentence).toContain('Escalated to the cloud');
  });

  it('a cold model whose load time is only the prior’s is tried, given up in time for the cloud', () => {
    // Never seen loading: by the prior it is too slow, so it would never be loaded and its load never
    // measured. It is tried as a model without completions is, cut where the cloud can still meet both
    // deadlines (the engine keeps loading it for the requests after).
    const unmeasured = localCandidate({ loaded: false, latency: fittedModel({ loadFromPrior: true }) });
    const decision = decide(decisionInput({ local: [unmeasured], random: noRandom }));
    expect(decision.reason).toBe('exploring');
    expect(decision.attempts.map((attempt) => attempt.locality)).toEqual(['local', 'cloud']);
    const slack = fallbackSlack(decision.attempts[1], decision.deadlines).bothMs;
    expect(decision.attempts[0]!.firstTokenDeadlineMs).toBe(Math.round(slack));
    // A second probe must get clearly longer than the longest an earlier one got (1.5 times).
    const probedFor = (ms: number) =>
      decide(
        decisionInput({
          local: [localCandidate({ ...unmeasured, loadProbedForMs: ms })],
          random: noRandom,
        }),
      ).reason;
    expect(probedFor(Math.floor(slack / 1.5))).toBe('exploring');
    expect(probedFor(Math.ceil(slack / 1.5) + 1)).toBe('local_too_slow');
    // Too slow even warm: the load is not what stands in the way, no probe.
    const slowWarm = localCandidate({
      loaded: false,
      latency: fittedModel({ loadFromPrior: true, prefillRate0: 100 }),
    });
    expect(decide(decisionInput({ local: [slowWarm], random: noRandom })).reason).toBe('local_too_slow');
    // A model with too few completions is held to the same bar while cold with an unmeasured load.
    const newcomer = (ms: number) =>
      localCandidate({
        loaded: false,
        latency: fittedModel({ loadFromPrior: true, samples: 1 }),
        loadProbedForMs: ms,
      });
    expect(decide(decisionInput({ local: [newcomer(0)], random: noRandom })).reason).toBe('exploring');
    expect(decide(decisionInput({ local: [newcomer(slack)], random: noRandom })).reason).not.toBe(
      'exploring',
    );
    // The first cold model too slow even warm does not keep the next one from its probe.
    const second = localCandidate({ ...unmeasured, model: 'llama3.2:3b' });
    const order = decide(decisionInput({ local: [slowWarm, second], random: noRandom }));
    expect(order.reason).toBe('exploring');
    expect(order.attempts[0]!.model).toBe('llama3.2:3b');
    // Loaded, the prior load does not matter: no probe.
    const warm = localCandidate({ latency: fittedModel({ loadFromPrior: true }) });
    expect(decide(decisionInput({ local: [warm], random: noRandom })).reason).toBe('local_fast_enough');
  });

  it('the same model cold but with a short load stays local', () => {
    const cold = localCandidate({ loaded: false, latency: fittedModel({ loadMs: 1500 }) });
    expect(decide(decisionInput({ local: [cold] })).reason).toBe('local_fast_enough');
  });

  it('a busy model: requests beyond its slots queue, and the wait pushes it over', () => {
    const busy = localCandidate({ inFlight: 2, parallelSlots: 1 });
    expect(predictionFor(busy).queueMs).toBeGreaterThan(4000);
    const decision = decide(decisionInput({ local: [busy], random: noRandom }));
    expect(decision.reason).toBe('local_too_slow');
    expect(decision.attempts[0]!.locality).toBe('cloud');

    // The same load on a model with free slots waits for nothing.
    const roomy = localCandidate({ inFlight: 2, parallelSlots: 4 });
    expect(predictionFor(roomy).queueMs).toBe(0);
    expect(decide(decisionInput({ local: [roomy] })).reason).toBe('local_fast_enough');
  });

  it('a deadline header tightens both deadlines and turns the same request to the cloud', () => {
    const local = localCandidate();
    expect(predictionFor(local).totalMs).toBeGreaterThan(3000);
    const decision = decide(decisionInput({ overrides: { deadlineMs: 3000 }, random: noRandom }));
    expect(decision.deadlines).toEqual({ ttftMs: 3000, totalMs: 3000 });
    expect(decision.reason).toBe('local_too_slow');
    expect(decision.sentence).toContain('deadlines: first token 3000 ms, total 3000 ms');
  });

  it("an alias's tighter first-token deadline (applied to the policy) does the same", () => {
    const local = localCandidate();
    const ttftBound = predictionFor(local).ttftMs * Math.exp(normalQuantile(0.75) * 0.1);
    expect(ttftBound).toBeGreaterThan(250);
    const decision = decide(decisionInput({ policy: policy({ ttft_deadline_ms: 250 }), random: noRandom }));
    expect(decision.reason).toBe('local_too_slow');
    expect(decision.sentence).toContain('first token 250 ms');
    expect(decide(decisionInput({ policy: policy({ ttft_deadline_ms: Math.ceil(ttftBound) }) })).reason).toBe(
      'local_fast_enough',
    );
  });

  it('a cautious quantile turns an uncertain model away that the median would take', () => {
    const uncertain = localCandidate({ latency: fittedModel({ logSigmaTtft: 1, logSigmaTotal: 1 }) });
    const request = features({ estimatedPromptTokens: 3000 });
    const at = (quantile: number) =>
      decide(
        decisionInput({
          features: request,
          local: [uncertain],
          policy: policy({ deadline_quantile: quantile, ttft_deadline_ms: 3000 }),
          random: () => 0.99,
        }),
      ).reason;
    expect(at(0.5)).toBe('local_fast_enough');
    expect(at(0.95)).toBe('local_too_slow');
  });

  it('a long prompt takes long to prefill; a cached prefix brings it back under the deadline', () => {
    const request = features({ estimatedPromptTokens: 20_000 });
    const fresh = localCandidate();
    expect(predictionFor(fresh, request).prefillMs).toBeGreaterThan(10_000);
    expect(decide(decisionInput({ features: request, local: [fresh], random: noRandom })).reason).toBe(
      'local_too_slow',
    );
    const cached = localCandidate({ expectedCachedTokens: 19_500 });
    expect(predictionFor(cached, request).prefillMs).toBeLessThan(1000);
    expect(decide(decisionInput({ features: request, local: [cached] })).reason).toBe('local_fast_enough');
  });
});

describe('exploring', () => {
  // Cold and uncertain: the 75th percentile misses the first-token deadline, the 25th would meet it.
  const uncertain = localCandidate({
    loaded: false,
    latency: fittedModel({ loadMs: 4000, logSigmaTtft: 0.5, logSigmaTotal: 0.5 }),
  });

  it('tries the promising model when the draw is below the rate, with the cloud behind it', () => {
    const random = vi.fn(() => 0.01);
    const decision = decide(decisionInput({ local: [uncertain], random }));
    expect(random).toHaveBeenCalledTimes(1);
    expect(decision.reason).toBe('exploring');
    expect(decision.attempts.map((attempt) => attempt.locality)).toEqual(['local', 'cloud']);
    // Its first token at the quantile routing decides on lies past the deadline (that is why it is only
    // explored), so nothing is cut from its deadline for the cloud's sake.
    expect(decision.attempts[0]!.firstTokenDeadlineMs).toBe(4000);
    expect(decision.sentence).toContain(`Trying ollama/qwen2.5-coder:7b`);
    expect(decision.sentence).toContain(rounded(predictionFor(uncertain).ttftMs));
  });

  it('does not explore when the draw is above the rate', () => {
    const decision = decide(decisionInput({ local: [uncertain], random: () => 0.031 }));
    expect(decision.reason).toBe('local_too_slow');
  });

  it('explores about explore_rate of the time with a seeded source', () => {
    const random = seededRandom(42);
    let exploring = 0;
    const runs = 10_000;
    for (let run = 0; run < runs; run++) {
      if (decide(decisionInput({ local: [uncertain], random })).reason === 'exploring') exploring += 1;
    }
    expect(exploring / runs).toBeGreaterThan(0.025);
    expect(exploring / runs).toBeLessThan(0.035);
    // The same seed gives the same decisions.
    const again = seededRandom(42);
    const first = Array.from(
      { length: 200 },
      () => decide(decisionInput({ local: [uncertain], random: again })).reason,
    );
    const replay = seededRandom(42);
    expect(
      Array.from({ length: 200 }, () => decide(decisionInput({ local: [uncertain], random: replay })).reason),
    ).toEqual(first);
  });

  it('never explores with explore_rate 0, nor a model whose optimistic bound misses the deadline', () => {
    expect(
      decide(decisionInput({ local: [uncertain], policy: policy({ explore_rate: 0 }), random: () => 0 }))
        .reason,
    ).toBe('local_too_slow');
    const hopeless = localCandidate({
      loaded: false,
      latency: fittedModel({ loadMs: 20_000, logSigmaTtft: 0.5 }),
    });
    expect(decide(decisionInput({ local: [hopeless], random: noRandom })).reason).toBe('local_too_slow');
  });
});

describe('twenty local models', () => {
  const twenty = Array.from({ length: 20 }, (_, index) =>
    localCandidate({
      model: `model-${index}`,
      loaded: index === 13,
      latency: fittedModel({ loadMs: 6000 + index * 10, decodeRate0: 30 + index }),
    }),
  );

  it('picks the one warm model and does not modify its inputs', () => {
    const input = decisionInput({ local: twenty, random: noRandom });
    const before = structuredClone({ local: input.local, cloud: input.cloud, features: input.features });
    const decision = decide(input);
    expect(decision.reason).toBe('local_fast_enough');
    expect(decision.attempts.map((attempt) => attempt.model)).toEqual(['model-13', 'claude-haiku-4-5']);
    expect({ local: input.local, cloud: input.cloud, features: input.features }).toEqual(before);
    expect(decide(input)).toEqual(decision);
  });

  it('when all are cold, the last resort is the fastest of them, after every cloud model', () => {
    const cold = twenty.map((candidate) => ({ ...candidate, loaded: false }));
    const clouds = [cloudCandidate(), cloudCandidate({ provider: 'gemini', model: 'gemini-2.5-flash' })];
    const decision = decide(decisionInput({ local: cold, cloud: clouds, random: noRandom }));
    expect(decision.reason).toBe('local_too_slow');
    // model-0 loads fastest, but model-19 decodes fastest: the whole answer decides.
    expect(decision.attempts.map((attempt) => attempt.model)).toEqual([
      'claude-haiku-4-5',
      'gemini-2.5-flash',
      'model-19',
    ]);
  });
});
