/**
 * @module routing/slot-wait
 * How long a request will wait for one of a local engine's parallel slots, from the requests holding
 * them now. Pure: the holders' predictions come in as arguments.
 */
import { normalCdf, normalQuantile } from './normal-distribution.js';

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

/** A request queued for a slot: its predicted median time once on one, and that prediction's log-spread. */
export interface QueuedService {
  serviceMs: number;
  logSigma: number;
}

/**
 * Draws of the slots' free times, when requests queued ahead make the wait a sum and a maximum. 512
 * keeps the median within about 1 % of its exact value (256: 2–3 %). It costs ~0.45 ms per call with a
 * couple of holders and queued requests (~1.5 ms with 4 holders and 50 queued), paid only while requests
 * queue for the engine's slots, when each of them waits seconds.
 */
const queueDraws = 512;

/**
 * Below this, the log-normal says a holder should long have ended: it is taken to run on at a pace
 * proportional to its time so far (an exponential tail) instead. The same threshold in `survival` and
 * `remainingQuantiles` keeps them inverses of each other; above it, `still · now` stays within the range
 * where the normal quantile is not clamped.
 */
const pastPrediction = 1e-9;

/** The log-spread used for a prediction: never below 0.05, and a wide one where the input is not a number. */
function spreadOf(logSigma: number): number {
  return Number.isFinite(logSigma) ? Math.max(logSigma, 0.05) : unknownLengthLogSigma;
}

/** P(holder still runs x ms from now | it runs now). */
function survival(holder: SlotHolder, x: number): number {
  // An answer that would run past the longest it can (max_tokens) stops there: that share of the
  // distribution ends exactly at the cap, it does not vanish.
  if (holder.elapsedMs + x >= (holder.longestMs ?? Number.POSITIVE_INFINITY)) return 0;
  const empirical = holder.lengths && empiricalSurvival(holder.lengths, x);
  if (empirical !== undefined) return empirical;
  // The log-normal survival function, given the time already run.
  const sigma = spreadOf(holder.logSigma);
  const beyond = (t: number) => 1 - normalCdf(Math.log(Math.max(t, 1e-9) / holder.totalMs) / sigma);
  const now = beyond(holder.elapsedMs);
  return now <= pastPrediction
    ? x <= 0
      ? 1
      : Math.exp(-x / Math.max(1, holder.elapsedMs))
    : beyond(holder.elapsedMs + x) / now;
}

/**
 * The holder's remaining-time quantile function: the time from now by which it has ended with
 * probability `ended`, the inverse of `survival` in closed form. What does not depend on `ended` is
 * worked out once, as the draws ask for hundreds of quantiles of the same holder.
 */
function remainingQuantiles(holder: SlotHolder): (ended: number) => number {
  const cappedAt = Math.max(0, (holder.longestMs ?? Number.POSITIVE_INFINITY) - holder.elapsedMs);
  const { lengths } = holder;
  const longer = lengths ? countAbove(lengths.sorted, lengths.tokensOut) : 0;
  if (lengths && longer >= minimumLongerAnswers) {
    const firstLonger = lengths.sorted.length - longer;
    return (ended) => {
      // The answer ends at the length of the longer answer that leaves a share `1 − ended` of them running on.
      const index = firstLonger + (longer - Math.floor((1 - ended) * longer)) - 1;
      const length = index < firstLonger ? lengths.tokensOut : lengths.sorted[index]!;
      return Math.min(cappedAt, (length - lengths.tokensOut) * lengths.msPerToken);
    };
  }
  const sigma = spreadOf(holder.logSigma);
  const now = 1 - normalCdf(Math.log(Math.max(holder.elapsedMs, 1e-9) / holder.totalMs) / sigma);
  if (now <= pastPrediction) {
    return (ended) =>
      Math.min(cappedAt, -Math.max(1, holder.elapsedMs) * Math.log(Math.max(1 - ended, 1e-12)));
  }
  // The end at which a share `(1 − ended) · now` of the unconditioned distribution lies beyond: from the
  // lower tail of the normal quantile (Φ⁻¹(1 − p) = −Φ⁻¹(p)), which stays precise when that share is small.
  return (ended) =>
    Math.min(
      cappedAt,
      Math.max(0, holder.totalMs * Math.exp(-sigma * normalQuantile((1 - ended) * now)) - holder.elapsedMs),
    );
}

/** The time from now by which all of `group` still run with probability `still` (bisection). */
function timeAllStillRun(group: readonly SlotHolder[], still: number): number {
  let low = 0;
  // Far enough for every holder: 20 times its prediction, and its client's longest answer.
  let high = Math.max(
    1,
    ...group.map((holder) => {
      const { lengths } = holder;
      const longestAnswerMs = lengths
        ? ((lengths.sorted.at(-1) ?? 0) - lengths.tokensOut) * lengths.msPerToken
        : 0;
      return Math.max(holder.totalMs * 20, holder.elapsedMs * 20, longestAnswerMs + 1);
    }),
  );
  for (let step = 0; step < 50; step++) {
    const middle = (low + high) / 2;
    const stillAll = group.reduce((product, holder) => product * survival(holder, middle), 1);
    if (stillAll > still) low = middle;
    else high = middle;
  }
  return (low + high) / 2;
}

const permutations: number[][] = [];
let strataZ: number[] | undefined;

/** The standard normal quantile at the middle of each of the `queueDraws` strata (computed once). */
function standardNormalStrata(): readonly number[] {
  strataZ ??= Array.from({ length: queueDraws }, (_, stratum) =>
    normalQuantile((stratum + 0.5) / queueDraws),
  );
  return strataZ;
}

/**
 * The order in which the `which`-th holder or queued request visits its `queueDraws` strata: a fixed
 * pseudo-random permutation, the same every time (the same state gives the same wait).
 */
function permutation(which: number): readonly number[] {
  let order = permutations[which];
  if (!order) {
    order = Array.from({ length: queueDraws }, (_, index) => index);
    let state = (2 * which + 1) >>> 0;
    for (let index = queueDraws - 1; index > 0; index--) {
      state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
      // The high bits: an LCG's low bits repeat with short periods.
      const other = Math.floor((state / 2 ** 32) * (index + 1));
      [order[index], order[other]] = [order[other]!, order[index]!];
    }
    permutations[which] = order;
  }
  return order;
}

/**
 * Median wait for a free slot when every slot is taken: each holder's total is log-normal around its
 * prediction, and given that it is still running, its remaining time is what lies beyond its elapsed
 * time (so one past its prediction is expected to need longer, not to finish at once). The first slot to
 * free up is the earliest of them: the wait is the median of that minimum. Requests already queued
 * (first come first served) take the slots that free up before this one does, each for its service
 * time, log-normal around its prediction. The wait is then a sum of times and the later of several
 * slots, whose median is not what the medians of its parts give (the median of the later of two is
 * past both medians): it is the median over stratified draws of every holder's remaining time and every
 * queued service time.
 */
export function medianSlotWaitMs(
  holders: readonly SlotHolder[],
  queued: readonly QueuedService[],
  slots: number,
): number {
  if (holders.length < slots) return 0;
  if (queued.length === 0) return timeAllStillRun(holders, 0.5);
  // Latin hypercube: each holder's remaining time and each queued service at `queueDraws` quantiles, in
  // an order of its own, so that every draw pairs different quantiles.
  const quantile = (stratum: number) => (stratum + 0.5) / queueDraws;
  const remaining = holders.map((holder, index) => {
    const remainingAt = remainingQuantiles(holder);
    return permutation(index).map((stratum) => remainingAt(quantile(stratum)));
  });
  const z = standardNormalStrata();
  const services = queued.map(({ serviceMs, logSigma }, index) =>
    permutation(holders.length + index).map(
      (stratum) => serviceMs * Math.exp(spreadOf(logSigma) * z[stratum]!),
    ),
  );
  const waits = Array.from({ length: queueDraws }, (_, draw) => {
    const freeAt = remaining.map((times) => times[draw]!);
    for (const service of services) {
      // The queued request takes the slot that frees first (a linear scan: slots are few, draws many).
      let first = 0;
      for (let slot = 1; slot < freeAt.length; slot++) if (freeAt[slot]! < freeAt[first]!) first = slot;
      freeAt[first] = freeAt[first]! + service[draw]!;
    }
    return Math.min(...freeAt);
  });
  waits.sort((left, right) => left - right);
  return (waits[queueDraws / 2 - 1]! + waits[queueDraws / 2]!) / 2;
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
