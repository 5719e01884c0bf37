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
import { newestRegime, prefillStraddlers, refitLevel } from './speed-change.js';

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
  /** Successful completions behind the fit (since the last detected change of speed). */
  samples: number;
  /**
   * Successful completions seen in the window, before and after a change of speed; absent means
   * `samples`. A model with few of these is still on its priors.
   */
  observed?: number;
  /** Real prompt tokens per estimated token (the tokenizer-free estimate's calibration for this model). */
  tokenRatio: number;
  prefillRate0: number;
  prefillHalfRateTokens: number;
  decodeRate0: number;
  decodeHalfRateTokens: number;
  /** Typical load time on a cold start; undefined when never seen cold. */
  loadMs: number | undefined;
  /** `loadMs` is the prior's: no cold start of this model has completed yet (the machine's may differ ten times). */
  loadFromPrior?: boolean;
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
    loadFromPrior: true,
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
  /** Time the completion waited for a free slot, inferred (the engine does not report it). */
  queueMs: number;
}

/** Fits the model from the newest observations (oldest first, as the profiler keeps them). */
export function fitLatencyModel(
  observations: readonly Observation[],
  sizeBytes: number | undefined,
  options: FitOptions = defaultFitOptions,
  /** The running mean of every cold start's load seen, for when none is left in the window. */
  longRunColdLoadMs?: number,
): FittedLatencyModel {
  const prior = priorLatencyModel(sizeBytes);
  const decay = 2 ** (-1 / options.halfLife);
  let points: Point[] = [];
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
      queueMs: 0,
    });
    weight *= decay;
  }
  if (points.length === 0) {
    return longRunColdLoadMs === undefined
      ? prior
      : { ...withoutPriorLoad(prior), loadMs: longRunColdLoadMs };
  }

  const tokenRatio = fitTokenRatio(points) ?? prior.tokenRatio;
  // The context a completion ran at, in real tokens: what the engine evaluated, or the calibrated
  // estimate of the whole prompt when part of it came from the engine's cache.
  for (const point of points) point.context = Math.max(point.evaluated, point.estimated * tokenRatio);
  // A measured prefill rate is the mean over the evaluated span, i.e. the rate at the span's midpoint:
  // the same context `predictLatency` reads the curve at. The full context here would fit K twice too large.
  const prefillContext = (point: Point) => point.context - point.evaluated / 2;
  const decodeContext = (point: Point) => point.context + point.outputTokens / 2;
  let prefill = fitRate(points, prefillContext, (point) => point.prefillRate, prior.prefillHalfRateTokens);
  let decode = fitRate(points, decodeContext, (point) => point.decodeRate, prior.decodeHalfRateTokens);

  // When the newest completions show the machine changed speed (another program took the GPU), the
  // older ones describe another machine: the level is refitted from the new regime alone, keeping the
  // context curve (K), which a uniform slowdown does not change.
  const all = points;
  const regime = newestRegime(points, [
    { fit: prefill, contextOf: prefillContext, rateOf: (point) => point.prefillRate },
    { fit: decode, contextOf: decodeContext, rateOf: (point) => point.decodeRate },
  ]);
  let slowdown = 1;
  if (regime < points.length) {
    // The curve from the completions before the change (the mixture would bend it), the level from after.
    const earlier = points.slice(regime);
    const curve = (
      fitted: { halfRateTokens: number },
      contextOf: (point: Point) => number,
      rateOf: (point: Point) => number,
      priorHalfRate: number,
    ) =>
      earlier.length >= 6
        ? fitRate(earlier, contextOf, rateOf, priorHalfRate).halfRateTokens
        : fitted.halfRateTokens;
    const prefillK = curve(
      prefill,
      prefillContext,
      (point) => point.prefillRate,
      prior.prefillHalfRateTokens,
    );
    const decodeK = curve(decode, decodeContext, (point) => point.decodeRate, prior.decodeHalfRateTokens);
    points = points.slice(0, regime);
    const prefillRate = (point: Point) => point.prefillRate;
    const decodeRate = (point: Point) => point.decodeRate;
    const prefillBefore = refitLevel(earlier, prefillContext, prefillRate, prefillK);
    const decodeBefore = refitLevel(earlier, decodeContext, decodeRate, decodeK);
    const straddlers = prefillStraddlers(
      points,
      { fit: prefillBefore, contextOf: prefillContext, rateOf: prefillRate },
      { fit: decodeBefore, contextOf: decodeContext, rateOf: decodeRate },
    );
    // A straddler's decode began before the change too: part of it ran at the old speed. Left out of
    // both levels (others are always left: straddlers never outnumber the points whose prefill moved).
    // Averaged in, one put seed 42's slowed decode 1.5× too fast, and the pace of the answers then
    // streaming read as a further slowdown of the whole model.
    const settled = points.filter((point) => !straddlers.has(point));
    prefill = refitLevel(settled, prefillContext, prefillRate, prefillK);
    decode = refitLevel(settled, decodeContext, decodeRate, decodeK);
    slowdown = prefillBefore.rate0 / prefill.rate0;
  }
  const coldLoad = (list: readonly Point[]) =>
    weightedMean(
      list.filter((point) => point.coldStart && point.loadMs !== undefined),
      (point) => point.loadMs!,
    );
  // A load seen before the change (or before the window), scaled by how much slower (or faster) the
  // machine became.
  const earlierLoad = coldLoad(all) ?? longRunColdLoadMs;
  const loadMs = coldLoad(points) ?? (earlierLoad === undefined ? undefined : earlierLoad * slowdown);
  const model: FittedLatencyModel = {
    samples: points.length,
    observed: all.length,
    tokenRatio,
    prefillRate0: prefill.rate0,
    prefillHalfRateTokens: prefill.halfRateTokens,
    decodeRate0: decode.rate0,
    decodeHalfRateTokens: decode.halfRateTokens,
    loadMs: loadMs ?? prior.loadMs,
    ...(loadMs === undefined ? { loadFromPrior: true } : {}),
    fixedTtftMs: prior.fixedTtftMs,
    logSigmaTtft: prior.logSigmaTtft,
    logSigmaTotal: prior.logSigmaTotal,
  };
  // The fixed cost (HTTP, template, first decode step) and the queue waits are read from the whole
  // window: a change of GPU speed hardly moves them, and a couple of points cannot tell them apart.
  inferQueueWaits(all);
  model.fixedTtftMs = fitFixedTtft(all, model) ?? prior.fixedTtftMs;
  const spread = fitSpread(points, model, all.length);
  model.logSigmaTtft = spread.ttft;
  model.logSigmaTotal = spread.total;
  return model;
}

function withoutPriorLoad(model: FittedLatencyModel): FittedLatencyModel {
  const { loadFromPrior: _, ...rest } = model;
  return rest;
}

/**
 * Calibration from completions where no prompt-cache hit was expected (a hit hides prompt tokens): real
 * tokens over estimated tokens, summed over the whole window. Not weighted toward the newest: the
 * tokenizer does not change when the machine slows down, and after a slowdown the newest completions are
 * the short prompts still worth serving locally, whose ratio is not a long prompt's (the chat template's
 * tokens weigh more, prose counts differently from code). Summed, not averaged per completion, so the
 * long prompts, whose prefill time the ratio matters for, carry it. A completion whose own ratio is less
 * than half or more than twice the median is left out: a cache hit switchyard did not expect (after a
 * restart, Ollama's cache is warm and switchyard's prefix memory empty) evaluates a few hundred tokens of
 * a long prompt, and summed in it would pull the ratio down for the whole window.
 */
function fitTokenRatio(points: readonly Point[]): number | undefined {
  const clean = points.filter((point) => point.predictedCached === 0 && point.estimated > 0);
  if (clean.length === 0) return undefined;
  const ratios = clean.map((point) => point.evaluated / point.estimated).sort((left, right) => left - right);
  const median = ratios[Math.floor(ratios.length / 2)]!;
  let evaluated = 0;
  let estimated = 0;
  for (const point of clean) {
    const ratio = point.evaluated / point.estimated;
    if (ratio < median / 2 || ratio > median * 2) continue;
    evaluated += point.evaluated;
    estimated += point.estimated;
  }
  return estimated > 0 ? evaluated / estimated : undefined;
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
  const fixed = unweightedQuantile(usable, 0.5, (point) => {
    const explained = (point.loadMs ?? 0) + (point.evaluated / point.prefillRate) * 1000 + point.queueMs;
    return Math.max(0, point.ttftMs! - explained);
  });
  void model;
  return fixed;
}

/**
 * How long each completion waited for a free slot. The engine reports load, prefill and decode but not
 * the wait, which is in the measured duration: what the engine's phases leave unexplained, beyond the
 * fixed cost every completion has (taken as a low quantile, as some completions waited and none waited
 * less than nothing). Without this, waits in busy periods would pass for a slow first token.
 */
function inferQueueWaits(points: Point[]): void {
  const unexplained = (point: Point) =>
    point.durationMs -
    (point.loadMs ?? 0) -
    (point.evaluated / point.prefillRate) * 1000 -
    (point.outputTokens / point.decodeRate) * 1000;
  // Unweighted over the window: in a busy spell every recent completion waited, and a quantile weighted
  // toward them would take a wait for the fixed cost (measured: 150–280 ms instead of ~6 ms).
  const base = unweightedQuantile(points, fixedCostQuantile, unexplained);
  if (base === undefined) return;
  for (const point of points) point.queueMs = Math.max(0, unexplained(point) - base);
}

/** How far predictions made with the fitted model land from what happened (log scale, weighted). */
function fitSpread(
  points: readonly Point[],
  model: FittedLatencyModel,
  observed: number,
): { ttft: number; total: number } {
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
      queueWaitMs: point.queueMs,
      calibrated: true,
    });
    const ttftError = Math.log(point.ttftMs / prediction.ttftMs);
    const totalError = Math.log(point.durationMs / prediction.totalMs);
    sumWeight += point.weight;
    ttftSquares += point.weight * ttftError * ttftError;
    totalSquares += point.weight * totalError * totalError;
  }
  if (sumWeight === 0) return { ttft: latencyPriors.logSigmaUnknown, total: latencyPriors.logSigmaUnknown };
  // With few points the in-sample spread is optimistic: blend toward the prior. After a change of speed
  // the machine is no stranger (its curve and noise are known from before): only the new level is, so
  // the spread of the few points since is widened for the uncertainty of a level from so few points.
  const confidence = Math.min(1, observed / 10);
  const levelUncertainty = points.length < observed ? 1 + 1 / points.length : 1;
  const blend = (squares: number) =>
    Math.sqrt(
      confidence * (squares / sumWeight) * levelUncertainty +
        (1 - confidence) * latencyPriors.logSigmaUnknown ** 2,
    );
  return { ttft: Math.max(0.05, blend(ttftSquares)), total: Math.max(0.05, blend(totalSquares)) };
}

/** Share of a window's completions assumed not to have waited for a slot at all. */
const fixedCostQuantile = 0.1;

/** The `fraction` quantile of `value` over the points (unweighted; the lower value at a boundary). */
function unweightedQuantile(
  points: readonly Point[],
  fraction: number,
  value: (point: Point) => number,
): number | undefined {
  const values = points
    .map(value)
    .filter(Number.isFinite)
    .sort((left, right) => left - right);
  if (values.length === 0) return undefined;
  return values[Math.max(0, Math.ceil(values.length * fraction) - 1)];
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

/** The same model `factor` times slower in every phase (evidence of a slowdown the fit has not seen yet). */
export function slowedLatencyModel(model: FittedLatencyModel, factor: number): FittedLatencyModel {
  return {
    ...model,
    prefillRate0: model.prefillRate0 / factor,
    decodeRate0: model.decodeRate0 / factor,
    ...(model.loadMs !== undefined ? { loadMs: model.loadMs * factor } : {}),
  };
}

export interface LatencyQuery {
  /** Prompt tokens: switchyard's estimate, unless `calibrated` says they are already real tokens. */
  promptTokens: number;
  /** Prompt tokens expected to be served from the engine's prefix cache. */
  cachedPromptTokens: number;
  outputTokens: number;
  /** The model is in memory (no load). */
  loaded: boolean;
  /**
   * When not `loaded`: how long the engine has already been loading the model for a request in flight.
   * The engine loads a model once for every request waiting on it, so a request arriving during that
   * load waits for the rest of it, not for a whole load of its own.
   */
  loadingForMs?: number;
  /** Requests already running or queued on this model. */
  queueAhead: number;
  parallelSlots: number;
  /**
   * The wait for a free slot when the caller knows better than `queueAhead` alone (when the requests
   * ahead will finish, from their own predictions); replaces the per-wave estimate.
   */
  queueWaitMs?: number;
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
  const loadMs = query.loaded ? 0 : remainingLoadMs(model.loadMs ?? 0, query.loadingForMs ?? 0);
  const prefillMs = (toEvaluate / prefillRate) * 1000;
  const decodeMs = (query.outputTokens / decodeRate) * 1000;
  // A request waits for a free slot: the ones ahead of it, beyond the slots, each take about as long as this one.
  const serviceMs = prefillMs + decodeMs + model.fixedTtftMs;
  const waves = Math.floor(query.queueAhead / Math.max(1, query.parallelSlots));
  const queueMs = query.queueWaitMs ?? waves * serviceMs * 0.75;
  const ttftMs = queueMs + loadMs + prefillMs + model.fixedTtftMs;
  return { ttftMs, totalMs: ttftMs + decodeMs, queueMs, loadMs, prefillMs, decodeMs };
}

/**
 * What is left of a load that has been running `elapsedMs`. A load already past its learned duration is
 * running slow, not done: a tenth of a load is still expected, rather than none.
 */
function remainingLoadMs(learnedMs: number, elapsedMs: number): number {
  return Math.max(learnedMs - elapsedMs, minimumRemainingLoadShare * learnedMs);
}

const minimumRemainingLoadShare = 0.1;
