/**
 * @module routing/local-scoring
 * One local candidate scored for one request: its predicted times with their intervals (the answer's
 * length uncertainty added to the model's own), the bounds at the policy's quantile that must meet the
 * deadlines, and whether the prompt fits its context. What decide() and its attempts read.
 */
import type { Decision, LocalCandidate, PredictedTimes } from './decide.js';
import type { RequestFeatures } from './features.js';
import { type LatencyPrediction, predictLatency } from './latency-model.js';
import { normalQuantile } from './normal-distribution.js';

export interface ScoredLocal {
  candidate: LocalCandidate;
  prediction: LatencyPrediction;
  times: PredictedTimes;
  /** Bound at the policy's quantile, which must meet the deadlines. */
  ttftBoundMs: number;
  totalBoundMs: number;
  fitsContext: boolean;
}

const p90 = normalQuantile(0.9);

export function scoreLocal(
  candidate: LocalCandidate,
  features: RequestFeatures,
  quantile: number,
): ScoredLocal {
  const outputTokens = features.typicalOutputTokens ?? features.expectedOutputTokens;
  const prediction = predictLatency(candidate.latency, {
    promptTokens: features.estimatedPromptTokens,
    cachedPromptTokens: candidate.expectedCachedTokens,
    outputTokens,
    loaded: candidate.loaded,
    ...(candidate.loadingForMs !== undefined ? { loadingForMs: candidate.loadingForMs } : {}),
    queueAhead: candidate.inFlight,
    parallelSlots: candidate.parallelSlots,
    ...(candidate.queueWaitMs !== undefined ? { queueWaitMs: candidate.queueWaitMs } : {}),
  });
  const { logSigmaTtft } = candidate.latency;
  // How long the answer will be is uncertain too: that spread adds to the model's own, in proportion to
  // the share of the time spent decoding.
  const decodeShare = prediction.totalMs > 0 ? prediction.decodeMs / prediction.totalMs : 0;
  const outputSigma = decodeShare * outputLogSpread(features, outputTokens, quantile);
  const logSigmaTotal = Math.sqrt(candidate.latency.logSigmaTotal ** 2 + outputSigma ** 2);
  const realPromptTokens = features.estimatedPromptTokens * candidate.latency.tokenRatio;
  return {
    candidate,
    prediction,
    times: {
      ttftMs: prediction.ttftMs,
      totalMs: prediction.totalMs,
      ttftHighMs: prediction.ttftMs * Math.exp(p90 * logSigmaTtft),
      totalHighMs: prediction.totalMs * Math.exp(p90 * logSigmaTotal),
      queueMs: prediction.queueMs,
      loadMs: prediction.loadMs,
      decodeMs: prediction.decodeMs,
      outputTokens,
    },
    ttftBoundMs: prediction.ttftMs * Math.exp(quantile * logSigmaTtft),
    totalBoundMs: prediction.totalMs * Math.exp(quantile * logSigmaTotal),
    fitsContext:
      candidate.contextLength === undefined ||
      realPromptTokens + Math.min(features.expectedOutputTokens, 1024) <= candidate.contextLength,
  };
}

/** The learned spread of the answer's length, limited by `max_tokens` (no answer is longer). */
function outputLogSpread(features: RequestFeatures, typicalTokens: number, quantile: number): number {
  if (features.typicalOutputTokens === undefined || features.outputLogSigma === undefined) return 0;
  let sigma = features.outputLogSigma;
  if (features.maxTokens !== undefined && quantile > 0 && typicalTokens > 0) {
    sigma = Math.min(sigma, Math.log(features.maxTokens / typicalTokens) / quantile);
  }
  return Math.max(0, sigma);
}

export function meetsDeadlines(entry: ScoredLocal, deadlines: Decision['deadlines']): boolean {
  return entry.ttftBoundMs <= deadlines.ttftMs && entry.totalBoundMs <= deadlines.totalMs;
}

/** The 25th percentile meets the deadlines: worth a try when exploring. */
export function optimisticallyMeets(entry: ScoredLocal, deadlines: Decision['deadlines']): boolean {
  const low = normalQuantile(0.25);
  return (
    entry.prediction.ttftMs * Math.exp(low * entry.candidate.latency.logSigmaTtft) <= deadlines.ttftMs &&
    entry.prediction.totalMs * Math.exp(low * entry.candidate.latency.logSigmaTotal) <= deadlines.totalMs
  );
}
