/**
 * @module test/routing/latency-model
 * The latency model against synthetic completions from an engine with known rates,
 * rate(ctx) = r0 / (1 + ctx/K), whose per-token cost is integrated over each span as a real engine's
 * (and the Ollama simulator's) is: the fit recovers r0 and K, predicts within 15 %, follows a slowdown,
 * calibrates the token estimate, widens its interval with noise, and falls back on priors.
 */
import { describe, expect, it } from 'vitest';
import type { Observation } from '../../src/profiler/model-stats.js';
import {
  fitLatencyModel,
  latencyPriors,
  predictLatency,
  priorLatencyModel,
} from '../../src/routing/latency-model.js';
import { normalQuantile } from '../../src/routing/normal-distribution.js';
import { prefillStraddlers } from '../../src/routing/speed-change.js';
import { fittedModel, observe, seededRandom, trueEngine, trueTimes } from './fixtures.js';

const sizeBytes = 4_683_087_332;
const relativeError = (actual: number, expected: number) => Math.abs(actual / expected - 1);

/** `count` completions with prompts spread over [500, 16 500] tokens. */
function varied(count: number, seed: number, noise = 0.04, slowdown = 1): Observation[] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, () =>
    observe(trueEngine, { promptTokens: Math.round(500 + random() * 16_000), noise, random, slowdown }),
  );
}

/** Prompts all about the same size: too little spread to fit K. */
function similar(count: number, seed: number, noise = 0.04, slowdown = 1): Observation[] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, () =>
    observe(trueEngine, { promptTokens: 1500 + Math.round(random() * 400), noise, random, slowdown }),
  );
}

const warmQuery = (promptTokens: number, outputTokens = 200) => ({
  promptTokens,
  cachedPromptTokens: 0,
  outputTokens,
  loaded: true,
  queueAhead: 0,
  parallelSlots: 1,
});

describe('fitting rate(ctx) = r0 / (1 + ctx/K)', () => {
  it.each([1, 2, 3])(
    'recovers r0 within 10 % and K within 35 %, for prefill and decode (seed %i)',
    (seed) => {
      const model = fitLatencyModel(varied(30, seed), sizeBytes);
      expect(model.samples).toBe(30);
      expect(relativeError(model.prefillRate0, trueEngine.prefillRate0)).toBeLessThan(0.1);
      expect(relativeError(model.prefillHalfRateTokens, trueEngine.prefillHalfRateTokens)).toBeLessThan(0.35);
      expect(relativeError(model.decodeRate0, trueEngine.decodeRate0)).toBeLessThan(0.1);
      expect(relativeError(model.decodeHalfRateTokens, trueEngine.decodeHalfRateTokens)).toBeLessThan(0.35);
    },
  );

  it('without noise the fit is exact (the prefill rate belongs to the middle of the evaluated span)', () => {
    const observations = Array.from({ length: 12 }, (_, index) =>
      observe(trueEngine, { promptTokens: index % 2 === 0 ? 1000 : 16_000 }),
    );
    const model = fitLatencyModel(observations, sizeBytes);
    expect(relativeError(model.prefillRate0, trueEngine.prefillRate0)).toBeLessThan(0.01);
    expect(relativeError(model.prefillHalfRateTokens, trueEngine.prefillHalfRateTokens)).toBeLessThan(0.01);
    expect(relativeError(model.decodeHalfRateTokens, trueEngine.decodeHalfRateTokens)).toBeLessThan(0.01);
    // The warm load_duration (2 ms) is subtracted as load, not taken as fixed cost.
    expect(model.fixedTtftMs).toBeCloseTo(trueEngine.fixedTtftMs, 6);
  });

  it('keeps the prior K when the prompts barely vary, and still finds r0', () => {
    const model = fitLatencyModel(similar(20, 4), sizeBytes);
    expect(model.prefillHalfRateTokens).toBe(latencyPriors.contextHalfRateTokens);
    expect(model.decodeHalfRateTokens).toBe(latencyPriors.contextHalfRateTokens);
    expect(relativeError(model.prefillRate0, trueEngine.prefillRate0)).toBeLessThan(0.1);
    expect(relativeError(model.decodeRate0, trueEngine.decodeRate0)).toBeLessThan(0.1);
  });

  it('predicts first token and total within 15 % after 20 completions, short prompts and long', () => {
    for (const seed of [5, 6, 7]) {
      const model = fitLatencyModel(varied(20, seed, 0.05), sizeBytes);
      for (const promptTokens of [300, 2000, 8000, 15_000]) {
        const predicted = predictLatency(model, warmQuery(promptTokens));
        const actual = trueTimes(trueEngine, promptTokens, 200);
        // The observations' warm load_duration (2 ms) is part of the fixed cost.
        expect(relativeError(predicted.ttftMs, actual.ttftMs + 2)).toBeLessThan(0.15);
        expect(relativeError(predicted.totalMs, actual.totalMs + 2)).toBeLessThan(0.15);
      }
    }
  });

  it('follows a 3× slowdown within about 10 completions', () => {
    const before = similar(30, 8);
    const steady = fitLatencyModel(before, sizeBytes);
    const slowed = [...before, ...similar(10, 18, 0.04, 3)];
    const after = fitLatencyModel(slowed, sizeBytes);
    expect(relativeError(steady.prefillRate0, trueEngine.prefillRate0)).toBeLessThan(0.1);
    expect(relativeError(after.prefillRate0, trueEngine.prefillRate0 / 3)).toBeLessThan(0.15);
    expect(relativeError(after.decodeRate0, trueEngine.decodeRate0 / 3)).toBeLessThan(0.15);
    const predicted = predictLatency(after, warmQuery(1700));
    const actual = trueTimes(trueEngine, 1700, 200);
    expect(relativeError(predicted.totalMs, actual.totalMs * 3)).toBeLessThan(0.2);
    // Once the change is detected the fit starts over from the slow completions alone: its interval is
    // at least as wide as before (few points), never the narrow one of the long steady run.
    expect(after.logSigmaTotal).toBeGreaterThanOrEqual(steady.logSigmaTotal);
  });

  it('a completion that was running when the machine slowed down does not drag the new prefill level', () => {
    const before = similar(30, 8);
    const [fast, slow] = [similar(1, 21)[0]!, similar(1, 21, 0.04, 3)[0]!];
    // Prefilled at the old speed, decoded at the new one; it ends after two requests that started later.
    const straddler: Observation = { ...fast, decodeTokensPerSecond: slow.decodeTokensPerSecond };
    const [first, second, third] = similar(3, 22, 0.04, 3);
    const after = fitLatencyModel([...before, first!, second!, straddler, third!], sizeBytes);
    expect(relativeError(after.prefillRate0, trueEngine.prefillRate0 / 3)).toBeLessThan(0.1);
    expect(relativeError(after.decodeRate0, trueEngine.decodeRate0 / 3)).toBeLessThan(0.1);
  });

  it('a straddling completion that is the newest of only two after the change does not set the level', () => {
    const before = similar(30, 8);
    const [fast, slow] = [similar(1, 21)[0]!, similar(1, 21, 0.04, 3)[0]!];
    const straddler: Observation = { ...fast, decodeTokensPerSecond: slow.decodeTokensPerSecond };
    const [first] = similar(1, 22, 0.04, 3);
    const after = fitLatencyModel([...before, first!, straddler], sizeBytes);
    // Its prefill ran at the old speed and is left out of the new prefill level; the mean of the two
    // (as before the fix) is √3 ≈ 1.7× too fast.
    expect(relativeError(after.prefillRate0, trueEngine.prefillRate0 / 3)).toBeLessThan(0.1);
    expect(relativeError(after.decodeRate0, trueEngine.decodeRate0 / 3)).toBeLessThan(0.1);
  });

  it('a straddler whose decode was half done at the change does not set the decode level', () => {
    // Seed 42: prefilled at the old speed, decoded half at the old speed and half at the new one.
    const before = similar(30, 8);
    const fast = similar(1, 27)[0]!;
    const halfSlowed: Observation = {
      ...fast,
      decodeTokensPerSecond: fast.decodeTokensPerSecond! / Math.sqrt(3),
    };
    const [first] = similar(1, 28, 0.04, 3);
    const after = fitLatencyModel([...before, first!, halfSlowed], sizeBytes);
    expect(relativeError(after.decodeRate0, trueEngine.decodeRate0 / 3)).toBeLessThan(0.1);
    expect(relativeError(after.prefillRate0, trueEngine.prefillRate0 / 3)).toBeLessThan(0.1);
  });

  it('two straddlers (two slots were busy at the change) among four do not set the level either', () => {
    const before = similar(30, 8);
    const fast = similar(2, 23);
    const slow = similar(2, 23, 0.04, 3);
    const straddlers = fast.map((observation, index) => ({
      ...observation,
      decodeTokensPerSecond: slow[index]!.decodeTokensPerSecond,
    }));
    const [first, second] = similar(2, 24, 0.04, 3);
    const after = fitLatencyModel([...before, first!, straddlers[0]!, second!, straddlers[1]!], sizeBytes);
    expect(relativeError(after.prefillRate0, trueEngine.prefillRate0 / 3)).toBeLessThan(0.1);
  });

  it('when only decode slows down, a noisy prefill among the new points does not set the prefill level', () => {
    const before = similar(30, 8);
    const decodeOnly = similar(4, 25, 0.04).map((observation) => ({
      ...observation,
      decodeTokensPerSecond: observation.decodeTokensPerSecond! / 3,
    }));
    // One of them prefilled 35 % slower (noise, or another program's burst): past the 30 % of noise in
    // the direction decode moved, so it looks like a changed prefill, and the other three like straddlers.
    decodeOnly[2] = {
      ...decodeOnly[2]!,
      prefillTokensPerSecond: decodeOnly[2]!.prefillTokensPerSecond! / 1.35,
    };
    const after = fitLatencyModel([...before, ...decodeOnly], sizeBytes);
    expect(after.samples).toBeLessThan(34);
    expect(relativeError(after.prefillRate0, trueEngine.prefillRate0)).toBeLessThan(0.1);
    expect(relativeError(after.decodeRate0, trueEngine.decodeRate0 / 3)).toBeLessThan(0.1);
  });

  it('a new point whose prefill moved the other way does not pull the slowed level', () => {
    const before = similar(30, 8);
    const slowed = similar(3, 26, 0.04, 2);
    // Its prefill reads 2.2× faster than before (a cache hit switchyard did not expect), its decode slowed.
    slowed[1] = { ...slowed[1]!, prefillTokensPerSecond: slowed[1]!.prefillTokensPerSecond! * 2 * 2.2 };
    const after = fitLatencyModel([...before, ...slowed], sizeBytes);
    expect(relativeError(after.prefillRate0, trueEngine.prefillRate0 / 2)).toBeLessThan(0.1);
  });

  it('says when its load time is still the prior’s: until a cold start has completed', () => {
    const warm = similar(10, 30);
    expect(warm.every((observation) => !observation.coldStart)).toBe(true);
    expect(fitLatencyModel(warm, sizeBytes).loadFromPrior).toBe(true);
    expect(priorLatencyModel(sizeBytes).loadFromPrior).toBe(true);
    const cold: Observation = { ...warm[0]!, coldStart: true, loadMs: 1800 };
    const measured = fitLatencyModel([cold, ...warm], sizeBytes);
    expect(measured.loadFromPrior).toBeUndefined();
    expect(measured.loadMs).toBe(1800);
    // A cold start older than the window still counts, through the store's running mean of them.
    const remembered = fitLatencyModel(warm, sizeBytes, undefined, 1700);
    expect(remembered.loadFromPrior).toBeUndefined();
    expect(remembered.loadMs).toBe(1700);
    expect(fitLatencyModel([], sizeBytes, undefined, 1700)).toMatchObject({ loadMs: 1700, samples: 0 });
    expect(fitLatencyModel([], sizeBytes, undefined, 1700).loadFromPrior).toBeUndefined();
  });

  it('uses only the newest maxObservations, and ignores failures and missing rates', () => {
    const old = similar(20, 10, 0.02, 5);
    const recent = similar(10, 11, 0.02);
    const failed: Observation = { ...recent[0]!, outcome: 'upstream_error', prefillTokensPerSecond: 1 };
    const noRates: Observation = { ...recent[0]!, decodeTokensPerSecond: undefined };
    const model = fitLatencyModel([...old, ...recent, failed, noRates], sizeBytes, {
      halfLife: 3,
      maxObservations: 10,
    });
    expect(model.samples).toBe(10);
    expect(relativeError(model.prefillRate0, trueEngine.prefillRate0)).toBeLessThan(0.05);
  });
});

describe('calibrating the token estimate', () => {
  it('learns real tokens per estimated token from prompt_eval_count, and predicts with it', () => {
    const random = seededRandom(12);
    const observations = Array.from({ length: 20 }, () => {
      const promptTokens = Math.round(1000 + random() * 3000);
      return observe(trueEngine, {
        promptTokens,
        estimatedPromptTokens: Math.round(promptTokens / 1.25),
        random,
      });
    });
    const model = fitLatencyModel(observations, sizeBytes);
    expect(model.tokenRatio).toBeCloseTo(1.25, 2);
    // An estimate of 1600 tokens is really about 2000: predicted as that many calibrated tokens.
    const fromEstimate = predictLatency(model, warmQuery(1600));
    const fromReal = predictLatency(model, { ...warmQuery(1600 * model.tokenRatio), calibrated: true });
    expect(fromEstimate.ttftMs).toBeGreaterThan(
      predictLatency(model, { ...warmQuery(1600), calibrated: true }).ttftMs,
    );
    expect(fromEstimate.ttftMs).toBeCloseTo(fromReal.ttftMs, 6);
  });

  it('a run of short prompts (after a slowdown, the only ones still served locally) does not recalibrate long ones', () => {
    const random = seededRandom(15);
    const long = Array.from({ length: 20 }, () => {
      const promptTokens = Math.round(3000 + random() * 5000);
      return observe(trueEngine, {
        promptTokens,
        estimatedPromptTokens: Math.round(promptTokens / 1.36),
        random,
      });
    });
    // Short prompts: the template's tokens make the estimate come out about right.
    const short = Array.from({ length: 5 }, () =>
      observe(trueEngine, { promptTokens: 200, estimatedPromptTokens: 200, random, slowdown: 3 }),
    );
    const model = fitLatencyModel([...long, ...short], sizeBytes);
    expect(relativeError(model.tokenRatio, 1.36)).toBeLessThan(0.03);
  });

  it('one long prompt the engine had cached without switchyard expecting it does not skew the ratio', () => {
    const random = seededRandom(16);
    const observations = Array.from({ length: 20 }, () => {
      const promptTokens = Math.round(1500 + random() * 3000);
      return observe(trueEngine, {
        promptTokens,
        estimatedPromptTokens: Math.round(promptTokens / 1.36),
        random,
      });
    });
    // 14 700 estimated tokens, of which the engine evaluated 300: its cache was warm (after a restart).
    const [hit] = similar(1, 23);
    observations.splice(10, 0, { ...hit!, estimatedPromptTokens: 14_700, promptEvalCount: 300 });
    expect(relativeError(fitLatencyModel(observations, sizeBytes).tokenRatio, 1.36)).toBeLessThan(0.03);
  });

  it('skips completions where a prompt-cache hit was expected (they hide prompt tokens)', () => {
    const clean = similar(10, 13).map((observation) => ({
      ...observation,
      estimatedPromptTokens: observation.promptTokens,
    }));
    const cached = similar(10, 14).map((observation) => ({
      ...observation,
      promptEvalCount: 20,
      estimatedPromptTokens: observation.promptTokens,
      estimatedCachedTokens: observation.promptTokens - 20,
    }));
    expect(fitLatencyModel([...clean, ...cached], sizeBytes).tokenRatio).toBeCloseTo(1, 6);
  });
});

describe('the interval', () => {
  it('widens with noise', () => {
    const quiet = fitLatencyModel(varied(30, 15, 0.02), sizeBytes);
    const noisy = fitLatencyModel(varied(30, 15, 0.4), sizeBytes);
    expect(noisy.logSigmaTtft).toBeGreaterThan(2 * quiet.logSigmaTtft);
    expect(noisy.logSigmaTotal).toBeGreaterThan(2 * quiet.logSigmaTotal);
  });

  it('stays near the prior with only a couple of completions', () => {
    const model = fitLatencyModel(varied(2, 16, 0), sizeBytes);
    expect(model.logSigmaTtft).toBeGreaterThan(0.85);
    expect(model.logSigmaTtft).toBeLessThanOrEqual(latencyPriors.logSigmaUnknown);
  });
});

describe('priors, load, queue', () => {
  it('with no usable data the priors are used, and a larger model is predicted to load longer', () => {
    expect(fitLatencyModel([], sizeBytes)).toEqual(priorLatencyModel(sizeBytes));
    const failedOnly = varied(5, 17).map((observation) => ({
      ...observation,
      outcome: 'deadline_exceeded' as const,
    }));
    expect(fitLatencyModel(failedOnly, sizeBytes)).toEqual(priorLatencyModel(sizeBytes));
    const prior = priorLatencyModel(sizeBytes);
    expect(prior.prefillRate0).toBe(latencyPriors.prefillTokensPerSecond);
    expect(prior.decodeRate0).toBe(latencyPriors.decodeTokensPerSecond);
    expect(prior.logSigmaTtft).toBe(latencyPriors.logSigmaUnknown);
    expect(priorLatencyModel(20e9).loadMs!).toBeGreaterThan(prior.loadMs! + 10_000);
    expect(priorLatencyModel(undefined).loadMs).toBe(
      latencyPriors.loadMsFixed + 5 * latencyPriors.loadMsPerGigabyte,
    );
  });

  it('a cold model pays its load before the first token; the load is learned from cold starts only', () => {
    const random = seededRandom(18);
    const observations = [
      ...Array.from({ length: 4 }, () =>
        observe(trueEngine, { promptTokens: 1000, cold: true, noise: 0.02, random }),
      ),
      ...similar(10, 19),
    ];
    const model = fitLatencyModel(observations, sizeBytes);
    expect(relativeError(model.loadMs!, trueEngine.loadMs)).toBeLessThan(0.03);
    const warm = predictLatency(model, warmQuery(1000));
    const cold = predictLatency(model, { ...warmQuery(1000), loaded: false });
    expect(warm.loadMs).toBe(0);
    expect(cold.loadMs).toBe(model.loadMs);
    expect(cold.ttftMs - warm.ttftMs).toBeCloseTo(model.loadMs!, 6);
    expect(cold.totalMs - warm.totalMs).toBeCloseTo(model.loadMs!, 6);
  });

  it('a request arriving while the model loads for another waits for the rest of that load only', () => {
    const model = fittedModel({ loadMs: 4000 });
    const cold = predictLatency(model, { ...warmQuery(1000), loaded: false });
    const during = predictLatency(model, { ...warmQuery(1000), loaded: false, loadingForMs: 1500 });
    const after = predictLatency(model, { ...warmQuery(1000), loaded: false, loadingForMs: 6000 });
    expect(cold.loadMs).toBe(4000);
    expect(during.loadMs).toBe(2500);
    expect(cold.ttftMs - during.ttftMs).toBeCloseTo(1500, 6);
    // Past its learned duration the load is running slow, not done: a tenth of it is still expected.
    expect(after.loadMs).toBeCloseTo(400, 6);
  });

  it('queue wait: none while slots are free, then about one service time per wave ahead', () => {
    const model = fittedModel();
    const at = (queueAhead: number, parallelSlots: number) =>
      predictLatency(model, { ...warmQuery(500), queueAhead, parallelSlots });
    const alone = at(0, 2);
    const serviceMs = alone.prefillMs + alone.decodeMs + model.fixedTtftMs;
    expect(at(1, 2).queueMs).toBe(0);
    expect(at(2, 2).queueMs).toBeCloseTo(0.75 * serviceMs, 6);
    expect(at(4, 2).queueMs).toBeCloseTo(1.5 * serviceMs, 6);
    expect(at(4, 2).ttftMs - alone.ttftMs).toBeCloseTo(1.5 * serviceMs, 6);
  });

  it('a busy spell (the newest completions all waited for a slot) is not taken for fixed cost', () => {
    const random = seededRandom(11);
    // 40 completions that did not wait, then 8 that each waited 150–300 ms for a slot (in first token
    // and duration alike, as the proxy measures them; the engine's phases do not include the wait).
    const quiet = Array.from({ length: 40 }, () =>
      observe(trueEngine, { promptTokens: 1000 + Math.round(random() * 3000), noise: 0.04, random }),
    );
    const busy = Array.from({ length: 8 }, () => {
      const completion = observe(trueEngine, {
        promptTokens: 1000 + Math.round(random() * 3000),
        noise: 0.04,
        random,
      });
      const waitMs = 150 + random() * 150;
      return {
        ...completion,
        ttftMs: completion.ttftMs! + waitMs,
        durationMs: completion.durationMs + waitMs,
      };
    });
    const model = fitLatencyModel([...quiet, ...busy], sizeBytes);
    // Weighted toward the newest (all waited), the inferred waits' baseline was itself a wait: ~150 ms.
    expect(model.fixedTtftMs).toBeLessThan(trueEngine.fixedTtftMs + 20);
    const prediction = predictLatency(model, warmQuery(2000));
    const truth = trueTimes(trueEngine, 2000, 200);
    expect(relativeError(prediction.ttftMs, truth.prefillMs + trueEngine.fixedTtftMs)).toBeLessThan(0.1);
  });

  it('a cached prefix is not evaluated again', () => {
    const model = fittedModel();
    const fresh = predictLatency(model, warmQuery(10_000));
    const cached = predictLatency(model, { ...warmQuery(10_000), cachedPromptTokens: 9_000 });
    expect(cached.prefillMs).toBeLessThan(fresh.prefillMs / 8);
    expect(cached.decodeMs).toBeCloseTo(fresh.decodeMs, 6);
  });

  it('normalQuantile is the standard normal quantile', () => {
    expect(normalQuantile(0.5)).toBeCloseTo(0, 9);
    expect(normalQuantile(0.9)).toBeCloseTo(1.281552, 5);
    expect(normalQuantile(0.975)).toBeCloseTo(1.959964, 5);
    expect(normalQuantile(0.01)).toBeCloseTo(-2.326348, 5);
    expect(normalQuantile(0.25)).toBeCloseTo(-normalQuantile(0.75), 9);
  });
});

describe('prefillStraddlers', () => {
  // Points as plain numbers of log-level shift from the old level: [prefill, decode].
  type P = { prefill: number; decode: number };
  const rate = (pick: (point: P) => number) => ({
    fit: { rate0: 1000, halfRateTokens: 24_000 },
    contextOf: () => 0,
    rateOf: (point: P) => 1000 * Math.exp(pick(point)),
  });
  const straddlers = (given: P[]) => {
    // Each point its own object, as completions are.
    const points = given.map((point) => ({ ...point }));
    return [
      ...prefillStraddlers(
        points,
        rate((point) => point.prefill),
        rate((point) => point.decode),
      ),
    ].map((point) => points.indexOf(point));
  };
  const slowed = { prefill: -1.1, decode: -1.1 };
  const straddler = { prefill: 0.02, decode: -1.1 };

  it('finds a completion that prefilled before the change and decoded after it', () => {
    expect(straddlers([slowed, straddler])).toEqual([1]);
    expect(straddlers([slowed, straddler, slowed, straddler])).toEqual([1, 3]);
  });

  it('finds none when the prefill did not change, or when straddlers would outnumber the moved', () => {
    expect(straddlers([straddler, straddler])).toEqual([]);
    expect(straddlers([straddler, straddler, straddler, slowed])).toEqual([]);
  });

  it('finds none in a regime large enough for its median, nor where decode did not move', () => {
    expect(straddlers([slowed, straddler, slowed, slowed, slowed])).toEqual([]);
    expect(
      straddlers([
        { prefill: -1.1, decode: 0 },
        { prefill: 0, decode: 0 },
      ]),
    ).toEqual([]);
  });

  it('works for a speed-up as for a slowdown', () => {
    expect(
      straddlers([
        { prefill: 1.1, decode: 1.1 },
        { prefill: 0, decode: 1.1 },
      ]),
    ).toEqual([1]);
  });
});
