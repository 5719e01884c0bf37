/**
 * @module routing/latency-model
 * Predicts a local model's time to first token and total time for one request, with an interval, from
 * the model's recent completions. The physics is Ollama's: first token = queue wait + load (if the
 * model is not in memory) + prompt tokens ÷ prefill rate + a small fixed cost; total = first token +
 * output tokens ÷ decode rate. Rates fall as the context grows, modelled as rate(ctx) = r0 / (1 + ctx/K).
 * r0 is fitted as an exponentially weighted mean over recent completions, so the model tracks change
 * (another program takes the GPU) within a few requests; K is fitted when the recent prompts vary
 * enough in size, else a prior is used. Pure: everything comes in as arguments.
 */
import type { Observation } from '../profiler/model-stats.js';

/** Priors for a model switchyard has never seen complete: a mid-range laptop GPU running a 7B model. */
export const latencyPriors = {
  prefillTokensPerSecond: 600,
  decodeTokensPerSecond: 25,
  /** Rate halves when the context reaches K tokens. */
  contextHalfRateTokens: 24_000,
  /** Load time per GB of weights, plus a fixed part. */
  loadMsPerGigabyte: 700,
  loadMsFixed: 800,
  /** Request, template and first-token cost beyond prefill. */
  fixedTtftMs: 40,
  /** Spread (log scale) of a prediction with no data behind it: roughly ×2.7 at one sigma. */
  logSigmaUnknown: 1,
} as const;

export interface FittedLatencyModel {
  /** Successful completions behind the fit. */
  samples: number;
  /** Real prompt tokens per estimated token (the tokenizer-free estimate's calibration for this model). */
  tokenRatio: number;
  prefillRate0: number;
  prefillHalfRateTokens: number;
  decodeRate0: number;
  decodeHalfRateTokens: number;
  /** Typical load time on a cold start; undefined when never seen cold. */
  loadMs: number | undefined;
  fixedTtftMs: number;
  /** Standard deviation of log(actual / predicted), for the interval. */
  logSigmaTtft: number;
  logSigmaTotal: number;
}

export interface FitOptions {
  /** Observations after which an old one weighs half. Small = tracks change fast, but noisier. */
  halfLife: number;
  /** Only the newest this-many observations are used. */
  maxObservations: number;
}

/**
 * A half-life of 3 follows a 3× slowdown to within ~15 % in 10 completions (6 took about 20), at the cost
 * of slightly noisier steady-state fits; the interval (log-sigma) absorbs the noise.
 */
export const defaultFitOptions: FitOptions = { halfLife: 3, maxObservations: 60 };

export function priorLatencyModel(sizeBytes: number | undefined): FittedLatencyModel {
  return {
    samples: 0,
    tokenRatio: 1,
    prefillRate0: latencyPriors.prefillTokensPerSecond,
    prefillHalfRateTokens: latencyPriors.contextHalfRateTokens,
    decodeRate0: latencyPriors.decodeTokensPerSecond,
    decodeHalfRateTokens: latencyPriors.contextHalfRateTokens,
    loadMs: priorLoadMs(sizeBytes),
    fixedTtftMs: latencyPriors.fixedTtftMs,
    logSigmaTtft: latencyPriors.logSigmaUnknown,
    logSigmaTotal: latencyPriors.logSigmaUnknown,
  };
}

function priorLoadMs(sizeBytes: number | undefined): number {
  const gigabytes = (sizeBytes ?? 5e9) / 1e9;
  return latencyPriors.loadMsFixed + gigabytes * latencyPriors.loadMsPerGigabyte;
}

/** A usable observation: a successful completion with the engine's rates. */
interface Point {
  weight: number;
  estimated: number;
  evaluated: number;
  predictedCached: number;
  context: number;
  prefillRate: number;
  decodeRate: number;
  outputTokens: number;
  loadMs: number | undefined;
  coldStart: boolean;
  ttftMs: number | undefined;
  durationMs: number;
}

/** Fits the model from the newest observations (oldest first, as the profiler keeps them). */
export function fitLatencyModel(
  observations: readonly Observation[],
  sizeBytes: number | undefined,
  options: FitOptions = defaultFitOptions,
): FittedLatencyModel {
  const prior = priorLatencyModel(sizeBytes);
  const decay = 2 ** (-1 / options.halfLife);
  const points: Point[] = [];
  let weight = 1;
  for (let index = observations.length - 1; index >= 0 && points.length < options.maxObservations; index--) {
    const observation = observations[index]!;
    if (observation.outcome !== 'ok') continue;
    const prefillRate = observation.prefillTokensPerSecond;
    const decodeRate = observation.decodeTokensPerSecond;
    if (!prefillRate || !decodeRate || !Number.isFinite(prefillRate) || !Number.isFinite(decodeRate))
      continue;
    const evaluated = observation.promptEvalCount ?? observation.promptTokens;
    const estimated = observation.estimatedPromptTokens ?? evaluated;
    const predictedCached = observation.estimatedCachedTokens ?? 0;
    points.push({
      weight,
      estimated,
      evaluated,
      predictedCached,
      // The context the prefill ran at: what was cached plus what was evaluated.
      context: Math.max(evaluated, estimated),
      prefillRate,
      decodeRate,
      outputTokens: observation.completionTokens,
      loadMs: observation.loadMs,
      coldStart: observation.coldStart,
      ttftMs: observation.ttftMs,
      durationMs: observation.durationMs,
    });
    weight *= decay;
  }
  if (points.length === 0) return prior;

  const tokenRatio = fitTokenRatio(points) ?? prior.tokenRatio;
  const prefill = fitRate(
    points,
    // A measured prefill rate is the mean over the evaluated span, i.e. the rate at the span's midpoint:
    // the same context `predictLatency` reads the curve at. The full context here would fit K twice too large.
    (point) => point.context - point.evaluated / 2,
    (point) => point.prefillRate,
    prior.prefillHalfRateTokens,
  );
  const decode = fitRate(
    points,
    (point) => point.context + point.outputTokens / 2,
    (point) => point.decodeRate,
    prior.decodeHalfRateTokens,
  );
  const loadMs = weightedMean(
    points.filter((point) => point.coldStart && point.loadMs !== undefined),
    (point) => point.loadMs!,
  );
  const model: FittedLatencyModel = {
    samples: points.length,
    tokenRatio,
    prefillRate0: prefill.rate0,
    prefillHalfRateTokens: prefill.halfRateTokens,
    decodeRate0: decode.rate0,
    decodeHalfRateTokens: decode.halfRateTokens,
    loadMs: loadMs ?? prior.loadMs,
    fixedTtftMs: prior.fixedTtftMs,
    logSigmaTtft: prior.logSigmaTtft,
    logSigmaTotal: prior.logSigmaTotal,
  };
  model.fixedTtftMs = fitFixedTtft(points, model) ?? prior.fixedTtftMs;
  const spread = fitSpread(points, model);
  model.logSigmaTtft = spread.ttft;
  model.logSigmaTotal = spread.total;
  return model;
}

/** Calibration from completions where no prompt-cache hit was expected (a hit hides prompt tokens). */
function fitTokenRatio(points: readonly Point[]): number | undefined {
  const clean = points.filter((point) => point.predictedCached === 0 && point.estimated > 0);
  const ratio = weightedMean(clean, (point) => Math.log(point.evaluated / point.estimated));
  return ratio === undefined ? undefined : Math.exp(ratio);
}

/**
 * Fits rate(ctx) = r0 / (1 + ctx/K). Per-token time is linear in ctx: 1/rate = 1/r0 + ctx/(r0·K), so
 * when the contexts vary enough a weighted least-squares line gives both; otherwise K keeps its prior
 * and r0 is the weighted (geometric) mean of each point's rate scaled back to an empty context.
 */
function fitRate(
  points: readonly Point[],
  contextOf: (point: Point) => number,
  rateOf: (point: Point) => number,
  priorHalfRate: number,
): { rate0: number; halfRateTokens: number } {
  let sumWeight = 0;
  let meanX = 0;
  let meanY = 0;
  for (const point of points) {
    sumWeight += point.weight;
    meanX += point.weight * contextOf(point);
    meanY += (point.weight * 1) / rateOf(point);
  }
  meanX /= sumWeight;
  meanY /= sumWeight;
  let covariance = 0;
  let varianceX = 0;
  for (const point of points) {
    const dx = contextOf(point) - meanX;
    covariance += point.weight * dx * (1 / rateOf(point) - meanY);
    varianceX += point.weight * dx * dx;
  }
  const spreadTokens = Math.sqrt(varianceX / sumWeight);
  if (points.length >= 6 && spreadTokens > 1500) {
    const slope = covariance / varianceX;
    const intercept = meanY - slope * meanX;
    if (slope > 0 && intercept > 0) {
      const rate0 = 1 / intercept;
      // K = intercept / slope; bounded so one odd batch cannot make the curve absurd.
      const halfRateTokens = Math.min(1e6, Math.max(1000, intercept / slope));
      return { rate0, halfRateTokens };
    }
  }
  const logRate0 = weightedMean(points, (point) =>
    Math.log(rateOf(point) * (1 + contextOf(point) / priorHalfRate)),
  );
  return { rate0: Math.exp(logRate0 ?? 0), halfRateTokens: priorHalfRate };
}

/** The part of time to first token not explained by load and prefill (HTTP, template, first decode step). */
function fitFixedTtft(points: readonly Point[], model: FittedLatencyModel): number | undefined {
  const usable = points.filter((point) => point.ttftMs !== undefined);
  const fixed = weightedMean(usable, (point) => {
    const explained = (point.loadMs ?? 0) + (point.evaluated / point.prefillRate) * 1000;
    return Math.max(0, point.ttftMs! - explained);
  });
  void model;
  return fixed;
}

/** How far predictions made with the fitted model land from what happened (log scale, weighted). */
function fitSpread(points: readonly Point[], model: FittedLatencyModel): { ttft: number; total: number } {
  let sumWeight = 0;
  let ttftSquares = 0;
  let totalSquares = 0;
  for (const point of points) {
    if (point.ttftMs === undefined || point.ttftMs <= 0 || point.durationMs <= 0) continue;
    const prediction = predictLatency(model, {
      promptTokens: point.evaluated,
      cachedPromptTokens: 0,
      outputTokens: point.outputTokens,
      loaded: !point.coldStart,
      queueAhead: 0,
      parallelSlots: 1,
      calibrated: true,
    });
    const ttftError = Math.log(point.ttftMs / prediction.ttftMs);
    const totalError = Math.log(point.durationMs / prediction.totalMs);
    sumWeight += point.weight;
    ttftSquares += point.weight * ttftError * ttftError;
    totalSquares += point.weight * totalError * totalError;
  }
  if (sumWeight === 0) return { ttft: latencyPriors.logSigmaUnknown, total: latencyPriors.logSigmaUnknown };
  // With few points the in-sample spread is optimistic: blend toward the prior.
  const confidence = Math.min(1, points.length / 10);
  const blend = (squares: number) =>
    Math.sqrt(confidence * (squares / sumWeight) + (1 - confidence) * latencyPriors.logSigmaUnknown ** 2);
  return { ttft: Math.max(0.05, blend(ttftSquares)), total: Math.max(0.05, blend(totalSquares)) };
}

function weightedMean(points: readonly Point[], value: (point: Point) => number): number | undefined {
  let sum = 0;
  let sumWeight = 0;
  for (const point of points) {
    const v = value(point);
    if (!Number.isFinite(v)) continue;
    sum += point.weight * v;
    sumWeight += point.weight;
  }
  return sumWeight > 0 ? sum / sumWeight : undefined;
}

export interface LatencyQuery {
  /** Prompt tokens: switchyard's estimate, unless `calibrated` says they are already real tokens. */
  promptTokens: number;
  /** Prompt tokens expected to be served from the engine's prefix cache. */
  cachedPromptTokens: number;
  outputTokens: number;
  /** The model is in memory (no load). */
  loaded: boolean;
  /** Requests already running or queued on this model. */
  queueAhead: number;
  parallelSlots: number;
  /** `promptTokens` are real tokens (skip the estimate's calibration). */
  calibrated?: boolean;
}

export interface LatencyPrediction {
  ttftMs: number;
  totalMs: number;
  /** Components, for explanations. */
  queueMs: number;
  loadMs: number;
  prefillMs: number;
  decodeMs: number;
}

export function predictLatency(model: FittedLatencyModel, query: LatencyQuery): LatencyPrediction {
  const ratio = query.calibrated ? 1 : model.tokenRatio;
  const prompt = query.promptTokens * ratio;
  const toEvaluate = Math.max(0, prompt - query.cachedPromptTokens * ratio);
  // Average per-token time over the tokens being evaluated, from the cached prefix to the full prompt.
  const prefillContext = (prompt + (prompt - toEvaluate)) / 2;
  const prefillRate = model.prefillRate0 / (1 + prefillContext / model.prefillHalfRateTokens);
  const decodeContext = prompt + query.outputTokens / 2;
  const decodeRate = model.decodeRate0 / (1 + decodeContext / model.decodeHalfRateTokens);
  const loadMs = query.loaded ? 0 : (model.loadMs ?? 0);
  const prefillMs = (toEvaluate / prefillRate) * 1000;
  const decodeMs = (query.outputTokens / decodeRate) * 1000;
  // A request waits for a free slot: the ones ahead of it, beyond the slots, each take about as long as this one.
  const serviceMs = prefillMs + decodeMs + model.fixedTtftMs;
  const waves = Math.floor(query.queueAhead / Math.max(1, query.parallelSlots));
  const queueMs = waves * serviceMs * 0.75;
  const ttftMs = queueMs + loadMs + prefillMs + model.fixedTtftMs;
  return { ttftMs, totalMs: ttftMs + decodeMs, queueMs, loadMs, prefillMs, decodeMs };
}

/** Standard normal quantile, for turning the log-spread into an interval bound. */
export function normalQuantile(probability: number): number {
  // Acklam's rational approximation; accurate to ~1e-9 over (0, 1).
  const a = [
    -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716,
    2.506628277459239,
  ];
  const b = [
    -54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572,
  ];
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
    2.938163982698783,
  ];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  const p = Math.min(Math.max(probability, 1e-12), 1 - 1e-12);
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (
      (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) /
      ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1)
    );
  }
  if (p > 1 - low) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) /
    (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1)
  );
}
