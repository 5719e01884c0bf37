/**
 * @module performance-model
 * How long a simulated model takes, as pure functions, so the server and a benchmark oracle compute the
 * same numbers: the server waits these times (with jitter, divided by the speed factor) and the oracle
 * predicts them without running anything.
 *
 * Prefill and decode rates fall as the sequence grows, `rate(position) = base / (1 + position / k)`, as
 * attention over a longer KV cache costs more. The time for tokens `from..to` is the integral of
 * `1 / rate`, which has a closed form, so per-token emission times and whole-phase totals always agree.
 */
import { mixSeeds } from './random.js';
import type { SimulatedModelSpec } from './types.js';

/** Context length (tokens) at which each rate has halved. */
export const contextSlowdownTokens = { prefill: 24_576, decode: 16_384 } as const;

/** A larger num_ctx allocates a larger KV cache at load time: load grows by this share per num_ctx token. */
export const loadCostPerContextToken = 1 / 131_072;

/** Jitter is uniform in ±this share of each phase. */
export const jitterAmplitude = 0.04;

export interface TimingInput {
  /** Prompt tokens after truncation to num_ctx. */
  promptTokens: number;
  /** Leading prompt tokens reused from the slot's cache (not evaluated again). */
  cachedPromptTokens: number;
  /** Generated tokens (thinking + content + tool calls). */
  outputTokens: number;
  /** Context the model is (or will be) loaded with. */
  numCtx: number;
  /** Whether this request pays a (re)load. */
  cold: boolean;
  /** The model's slowdown factor (1 = normal). */
  slowdown: number;
}

export interface PredictedTimings {
  loadMs: number;
  prefillMs: number;
  decodeMs: number;
}

/** Time to evaluate sequence positions `[from, to)` at a base rate, before slowdown. */
function integratedMs(baseTokensPerSecond: number, k: number, from: number, to: number): number {
  if (to <= from) return 0;
  const tokens = to - from;
  return (1000 / baseTokensPerSecond) * (tokens + (to * to - from * from) / (2 * k));
}

export function loadTimeMs(model: SimulatedModelSpec, numCtx: number, slowdown: number): number {
  return model.loadMs * (1 + numCtx * loadCostPerContextToken) * slowdown;
}

/** Time to evaluate prompt tokens `[cachedTokens, promptTokens)`. */
export function prefillTimeMs(
  model: SimulatedModelSpec,
  cachedTokens: number,
  promptTokens: number,
  slowdown: number,
): number {
  const from = Math.min(Math.max(0, cachedTokens), promptTokens);
  return (
    integratedMs(model.prefillTokensPerSecond, contextSlowdownTokens.prefill, from, promptTokens) * slowdown
  );
}

/** Time from the end of prefill until the `generated`-th output token is ready. */
export function decodeTimeMs(
  model: SimulatedModelSpec,
  promptTokens: number,
  generated: number,
  slowdown: number,
): number {
  const to = promptTokens + generated;
  return integratedMs(model.decodeTokensPerSecond, contextSlowdownTokens.decode, promptTokens, to) * slowdown;
}

/** The true timings of one request, in unscaled milliseconds, without jitter. Pure. */
export function predictTimings(model: SimulatedModelSpec, input: TimingInput): PredictedTimings {
  const slowdown = input.slowdown > 0 ? input.slowdown : 1;
  return {
    loadMs: input.cold ? loadTimeMs(model, input.numCtx, slowdown) : 0,
    prefillMs: prefillTimeMs(model, input.cachedPromptTokens, input.promptTokens, slowdown),
    decodeMs: decodeTimeMs(model, input.promptTokens, input.outputTokens, slowdown),
  };
}

export type TimingPhase = 'load' | 'prefill' | 'decode';

/** Seeded multiplier in `[1 - jitterAmplitude, 1 + jitterAmplitude]` for one phase of one request. */
export function jitterFactor(seed: number, requestIndex: number, phase: TimingPhase): number {
  const unit = mixSeeds(seed, requestIndex, phase) / 4294967296;
  return 1 + jitterAmplitude * (2 * unit - 1);
}
