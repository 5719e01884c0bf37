/**
 * @module routing/slot-wait
 * How long a request will wait for one of a local engine's parallel slots, from the requests holding
 * them now. Pure: the holders' predictions come in as arguments.
 */
import { normalCdf } from './normal-distribution.js';

/** A request holding a slot now: how long it has run, and its predicted total with its log-spread. */
export interface SlotHolder {
  elapsedMs: number;
  /** Predicted median total time, from its start. */
  totalMs: number;
  /** Spread (log scale) of that prediction. */
  logSigma: number;
  /** It runs no longer than this from its start (an answer stops at `max_tokens`). */
  longestMs?: number;
  /**
   * A streaming answer whose client's recent answer lengths are known: its remaining time is read from
   * them (those longer than the tokens already out) rather than from the log-normal.
   */
  lengths?: { tokensOut: number; msPerToken: number; sorted: readonly number[] };
}

/** Answers of the client longer than this one already is, before their lengths say how it will go on. */
const minimumLongerAnswers = 4;

/** How many of `sorted` (ascending) are greater than `value`. */
function countAbove(sorted: readonly number[], value: number): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (sorted[middle]! <= value) low = middle + 1;
    else high = middle;
  }
  return sorted.length - low;
}

/**
 * P(the answer still runs x ms from now | it runs now) from its client's recent answer lengths: the
 * share of those longer than it is now that are also longer than where it will be in x ms. Undefined
 * when too few are longer (the answer is already among the client's longest): the log-normal serves.
 */
function empiricalSurvival(lengths: NonNullable<SlotHolder['lengths']>, x: number): number | undefined {
  const longer = countAbove(lengths.sorted, lengths.tokensOut);
  if (longer < minimumLongerAnswers) return undefined;
  return countAbove(lengths.sorted, lengths.tokensOut + x / lengths.msPerToken) / longer;
}

/**
 * Median wait for a free slot when every slot is taken: each holder's total is log-normal around its
 * prediction, and given that it is still running, its remaining time is what lies beyond its elapsed
 * time (so one past its prediction is expected to need longer, not to finish at once). The first slot to
 * free up is the earliest of them: the wait is the median of that minimum. Requests already queued
 * (`queuedServiceMs`, first come first served) take the slots that free up before this one does.
 */
export function medianSlotWaitMs(
  holders: readonly SlotHolder[],
  queuedServiceMs: readonly number[],
  slots: number,
): number {
  if (holders.length < slots) return 0;
  // P(holder still runs x ms from now | it runs now), from the log-normal survival function. An answer
  // that would run past the longest it can (max_tokens) stops there: that share of the distribution
  // ends exactly at the cap, it does not vanish.
  const survival = (holder: SlotHolder, x: number) => {
    if (holder.elapsedMs + x >= (holder.longestMs ?? Number.POSITIVE_INFINITY)) return 0;
    const empirical = holder.lengths && empiricalSurvival(holder.lengths, x);
    if (empirical !== undefined) return empirical;
    const sigma = Math.max(holder.logSigma, 0.05);
    const beyond = (t: number) => 1 - normalCdf(Math.log(Math.max(t, 1e-9) / holder.totalMs) / sigma);
    const now = beyond(holder.elapsedMs);
    return now <= 1e-12
      ? x <= 0
        ? 1
        : Math.exp(-x / Math.max(1, holder.elapsedMs))
      : beyond(holder.elapsedMs + x) / now;
  };
  const medianOfFirst = (group: readonly SlotHolder[]) => {
    let low = 0;
    let high = Math.max(1, ...group.map((holder) => Math.max(holder.totalMs, holder.elapsedMs) * 20));
    for (let step = 0; step < 50; step++) {
      const middle = (low + high) / 2;
      const stillAll = group.reduce((product, holder) => product * survival(holder, middle), 1);
      if (stillAll > 0.5) low = middle;
      else high = middle;
    }
    return (low + high) / 2;
  };
  if (queuedServiceMs.length === 0) return medianOfFirst(holders);
  // With others queued ahead, each slot's own median end; the queued take the earliest in turn.
  const freeAt = holders.map((holder) => medianOfFirst([holder]));
  for (const service of queuedServiceMs) {
    freeAt.sort((left, right) => left - right);
    freeAt[0] = freeAt[0]! + service;
  }
  return Math.min(...freeAt);
}

/** What routing planned for a local answer's length and pace (`PlannedExpectation.answer`). */
export interface PlannedAnswer {
  /** The answer length the prediction assumed (the client's typical length, or the output budget). */
  expectedTokens: number;
  /** Predicted decode time per token once the answer runs. */
  msPerToken: number;
  /** Spread (log scale) of the client's answer lengths, when learned. */
  lengthLogSigma?: number;
  /** The request's `max_tokens`: no answer is longer. */
  maxTokens?: number;
  /** The client's recent answer lengths, sorted ascending, once learned. */
  recentLengths?: readonly number[];
}

/** A request on a slot as routing sees it: its prediction, and how far its answer has got. */
export interface RunningView {
  /** Time since it got its slot. */
  servedMs: number;
  /** Predicted time once on a slot. */
  serviceMs: number;
  logSigma: number;
  answer?: PlannedAnswer;
  /** Once its first token came: tokens out so far, and the time since that first token. */
  progress?: { tokens: number; sinceFirstTokenMs: number };
  /** How much slower the model runs now than its prediction assumed (1: as assumed). */
  slowdown: number;
}

/** From this many intervals between tokens on, an answer's own pace is a better guide than the predicted one. */
const intervalsForMeasuredPace = 15;
/**
 * Spread (log scale) of an answer's length when its client's is not learned yet: the length assumed is
 * then a default or the output budget, and a real answer is often several times shorter or longer.
 */
const unknownLengthLogSigma = 0.8;

/**
 * A running request as a slot holder. Until its first token, its time on the slot against its predicted
 * service time. Once it streams, what is left is the rest of its answer at its pace: the answer's length
 * is the client's length distribution given the tokens already out (so a long-running answer is expected
 * to run on, and one near `max_tokens` or near the longest its client's answers run to stop soon), at
 * the pace measured on its own stream once it has enough tokens to tell. The distribution is the
 * client's recent answer lengths themselves once there are enough, the log-normal fitted to them before.
 */
export function slotHolderOf(view: RunningView): SlotHolder {
  const { answer, progress } = view;
  if (!answer || !progress || !(answer.expectedTokens > 0) || !(answer.msPerToken > 0)) {
    return { elapsedMs: view.servedMs, totalMs: view.serviceMs * view.slowdown, logSigma: view.logSigma };
  }
  // n pieces span n − 1 intervals. A burst of lines read at once (after a stall of the event loop) has
  // no pace to measure: the predicted one serves until the stream has spread over enough time.
  const intervals = progress.tokens - 1;
  const measured = intervals > 0 ? progress.sinceFirstTokenMs / intervals : 0;
  const predicted = answer.msPerToken * view.slowdown;
  const msPerToken =
    intervals >= intervalsForMeasuredPace && Number.isFinite(measured) && measured >= predicted / 10
      ? measured
      : predicted;
  return {
    elapsedMs: progress.tokens * msPerToken,
    totalMs: answer.expectedTokens * msPerToken,
    logSigma: answer.lengthLogSigma ?? unknownLengthLogSigma,
    ...(answer.maxTokens !== undefined ? { longestMs: answer.maxTokens * msPerToken } : {}),
    ...(answer.recentLengths
      ? { lengths: { tokensOut: progress.tokens, msPerToken, sorted: answer.recentLengths } }
      : {}),
  };
}
