/**
 * @module test/routing/fixtures
 * Hand-built inputs for the pure routing code: request features, fitted latency models, local and cloud
 * candidates, the policy (the config's defaults), and seeded randomness. Each builder takes overrides so
 * a test states only what its situation is about.
 */
import { configSchema } from '../../src/config/schema.js';
import type { Observation } from '../../src/profiler/model-stats.js';
import type {
  CloudCandidate,
  DecisionInput,
  LocalCandidate,
  RoutingPolicy,
} from '../../src/routing/decide.js';
import type { RequestFeatures } from '../../src/routing/features.js';
import { type FittedLatencyModel, predictLatency } from '../../src/routing/latency-model.js';

export function features(overrides: Partial<RequestFeatures> = {}): RequestFeatures {
  return {
    estimatedPromptTokens: 500,
    expectedOutputTokens: 200,
    outputTokensGiven: false,
    toolCount: 0,
    imageCount: 0,
    structuredOutput: false,
    conversationDepth: 1,
    complexity: 'simple',
    text: 'Rename the variable `x` to `count` in this function.',
    ...overrides,
  };
}

/** A well-measured 7B model on a laptop GPU: tight interval, 2000 tok/s prefill, 50 tok/s decode. */
export function fittedModel(overrides: Partial<FittedLatencyModel> = {}): FittedLatencyModel {
  return {
    samples: 50,
    tokenRatio: 1,
    prefillRate0: 2000,
    prefillHalfRateTokens: 24_000,
    decodeRate0: 50,
    decodeHalfRateTokens: 16_000,
    loadMs: 5000,
    fixedTtftMs: 40,
    logSigmaTtft: 0.1,
    logSigmaTotal: 0.1,
    ...overrides,
  };
}

export function localCandidate(overrides: Partial<LocalCandidate> = {}): LocalCandidate {
  return {
    provider: 'ollama',
    model: 'qwen2.5-coder:7b',
    latency: fittedModel(),
    loaded: true,
    inFlight: 0,
    parallelSlots: 1,
    contextLength: 32_768,
    expectedCachedTokens: 0,
    available: true,
    successRate: 0.9,
    ...overrides,
  };
}

export function cloudCandidate(overrides: Partial<CloudCandidate> = {}): CloudCandidate {
  return {
    provider: 'anthropic',
    model: 'claude-haiku-4-5',
    available: true,
    contextLength: 200_000,
    typicalTtftMs: 900,
    typicalOutputTokensPerSecond: 70,
    ...overrides,
  };
}

/** The config's routing defaults (ttft 4000 ms, total 60 s, quantile 0.75, explore 3 %, min success 0.6). */
export function policy(overrides: Partial<RoutingPolicy> = {}): RoutingPolicy {
  return { ...configSchema.parse({}).routing, privacyPatterns: [], ...overrides };
}

/** A random source that fails the test if decide() consults it. */
export function noRandom(): number {
  throw new Error('decide() drew a random number where it should not have');
}

export function decisionInput(overrides: Partial<DecisionInput> = {}): DecisionInput {
  return {
    features: features(),
    local: [localCandidate()],
    cloud: [cloudCandidate()],
    policy: policy(),
    overrides: {},
    spentTodayDollars: 0,
    now: 1_750_000_000_000,
    random: () => 0.99,
    ...overrides,
  };
}

/** What the latency model predicts for a candidate and features, as decide() computes it. */
export function predictionFor(candidate: LocalCandidate, request: RequestFeatures = features()) {
  return predictLatency(candidate.latency, {
    promptTokens: request.estimatedPromptTokens,
    cachedPromptTokens: candidate.expectedCachedTokens,
    outputTokens: request.expectedOutputTokens,
    loaded: candidate.loaded,
    queueAhead: candidate.inFlight,
    parallelSlots: candidate.parallelSlots,
  });
}

/** mulberry32: a small seeded generator, so tests with randomness are repeatable. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** True rates of a simulated engine: rate(ctx) = r0 / (1 + ctx/K), per-token cost integrated over the span. */
export interface Engine {
  prefillRate0: number;
  prefillHalfRateTokens: number;
  decodeRate0: number;
  decodeHalfRateTokens: number;
  fixedTtftMs: number;
  loadMs: number;
}

export const trueEngine: Engine = {
  prefillRate0: 1800,
  prefillHalfRateTokens: 24_576,
  decodeRate0: 45,
  decodeHalfRateTokens: 16_384,
  fixedTtftMs: 30,
  loadMs: 2500,
};

/** Milliseconds to process positions [from, to) at rate(p) = r0 / (1 + p/K). */
export function spanMs(rate0: number, halfRate: number, from: number, to: number): number {
  return (1000 / rate0) * (to - from + (to * to - from * from) / (2 * halfRate));
}

/** The true first-token and total times of one request on `engine`. */
export function trueTimes(engine: Engine, promptTokens: number, outputTokens: number, cold = false) {
  const prefillMs = spanMs(engine.prefillRate0, engine.prefillHalfRateTokens, 0, promptTokens);
  const decodeMs = spanMs(
    engine.decodeRate0,
    engine.decodeHalfRateTokens,
    promptTokens,
    promptTokens + outputTokens,
  );
  const ttftMs = (cold ? engine.loadMs : 0) + prefillMs + engine.fixedTtftMs;
  return { prefillMs, decodeMs, ttftMs, totalMs: ttftMs + decodeMs };
}

export interface ObservationOptions {
  promptTokens: number;
  outputTokens?: number;
  /** Multiplicative noise: each phase is scaled by a uniform factor in [1 − noise, 1 + noise]. */
  noise?: number;
  random?: () => number;
  cold?: boolean;
  /** Slows every phase by this factor (another program took the GPU). */
  slowdown?: number;
  /** switchyard's estimate of the prompt; defaults to the true count. */
  estimatedPromptTokens?: number;
  estimatedCachedTokens?: number;
  at?: number;
}

/** One successful completion as the profiler would record it from Ollama's timings. */
export function observe(engine: Engine, options: ObservationOptions): Observation {
  const outputTokens = options.outputTokens ?? 200;
  const random = options.random ?? (() => 0.5);
  const noise = options.noise ?? 0;
  const jitter = () => 1 + noise * (2 * random() - 1);
  const slowdown = options.slowdown ?? 1;
  const times = trueTimes(engine, options.promptTokens, outputTokens, options.cold);
  const prefillMs = times.prefillMs * jitter() * slowdown;
  const decodeMs = times.decodeMs * jitter() * slowdown;
  const loadMs = options.cold ? engine.loadMs * jitter() : 2;
  const ttftMs = loadMs + prefillMs + engine.fixedTtftMs;
  return {
    at: options.at ?? 0,
    promptTokens: options.promptTokens,
    promptEvalCount: options.promptTokens,
    estimatedPromptTokens: options.estimatedPromptTokens ?? options.promptTokens,
    estimatedCachedTokens: options.estimatedCachedTokens ?? 0,
    completionTokens: outputTokens,
    prefillTokensPerSecond: options.promptTokens / (prefillMs / 1000),
    decodeTokensPerSecond: outputTokens / (decodeMs / 1000),
    loadMs,
    coldStart: options.cold ?? false,
    ttftMs,
    durationMs: ttftMs + decodeMs,
    outcome: 'ok',
  };
}
