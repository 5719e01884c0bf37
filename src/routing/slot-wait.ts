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
  // P(holder still runs x ms from now | it runs now), from the log-normal survival function.
  const survival = (holder: SlotHolder, x: number) => {
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
