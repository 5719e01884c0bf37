/**
 * @module routing/speed-change
 * Telling when a local model's speed changed (another program took the GPU, or left it) from its newest
 * completions, and the level of a rate from the completions since: the part of the latency fit that
 * decides which completions still describe the machine as it is now.
 */

/**
 * One rate of the model (prefill or decode): a fitted level (over all points, or over those before a
 * change), and how to read the rate from a point.
 */
export interface RateComponent<P> {
  fit: { rate0: number; halfRateTokens: number };
  contextOf: (point: P) => number;
  rateOf: (point: P) => number;
}

/** Newest completions that must agree before a change of speed is believed. */
const changeEvidence = 2;
/** A change smaller than this (log scale, ≈30 %) is taken for noise whatever the spread. */
const minimumChange = Math.log(1.3);

/**
 * How many of the newest points (newest first) belong to the current regime. Each rate's residuals
 * from the fit are split in two at every possible point; the split that best separates them (largest
 * difference of means against the pooled spread within the two parts) is a change of regime when the
 * difference exceeds both `minimumChange` and three pooled standard deviations, and the newest
 * `changeEvidence` points all lie beyond it on the new side. Otherwise every point is kept.
 */
export function newestRegime<P>(points: readonly P[], components: readonly RateComponent<P>[]): number {
  const count = points.length;
  if (count < changeEvidence + 3) return count;
  let regime = count;
  for (const component of components) {
    const residuals = points.map((point) => residualOf(point, component));
    let best: { split: number; score: number; newMean: number; oldMean: number; spread: number } | undefined;
    for (let split = changeEvidence; split <= count - 3; split++) {
      const newer = residuals.slice(0, split);
      const older = residuals.slice(split);
      const newMean = mean(newer);
      const oldMean = mean(older);
      const squares =
        newer.reduce((sum, value) => sum + (value - newMean) ** 2, 0) +
        older.reduce((sum, value) => sum + (value - oldMean) ** 2, 0);
      const spread = Math.sqrt(squares / count);
      const score = Math.abs(newMean - oldMean) / (spread + 1e-9);
      if (!best || score > best.score) best = { split, score, newMean, oldMean, spread };
    }
    if (!best) continue;
    const shift = best.newMean - best.oldMean;
    const tolerance = Math.max(minimumChange, 3 * best.spread);
    if (Math.abs(shift) <= tolerance) continue;
    // The newest completions must all agree with the new level, or a single odd one could cut the window.
    const agrees = residuals
      .slice(0, changeEvidence)
      .every(
        (value) =>
          Math.sign(value - best.oldMean) === Math.sign(shift) &&
          Math.abs(value - best.oldMean) > tolerance / 2,
      );
    if (agrees) regime = Math.min(regime, best.split);
  }
  return regime;
}

function mean(values: readonly number[]): number {
  return values.reduce((sum, value) => sum + value, 0) / values.length;
}

/**
 * r0 from the given points with K fixed: the median of each rate scaled to an empty context (on the log
 * scale; with an even count, the mean of the middle two). Not weighted by recency: within a regime the
 * points describe one machine.
 */
export function refitLevel<P>(
  points: readonly P[],
  contextOf: (point: P) => number,
  rateOf: (point: P) => number,
  halfRateTokens: number,
): { rate0: number; halfRateTokens: number } {
  const logRates = points
    .map((point) => logLevelOf(point, contextOf, rateOf, halfRateTokens))
    .filter(Number.isFinite)
    .sort((left, right) => left - right);
  const middle = logRates.length / 2;
  const logRate0 =
    logRates.length === 0
      ? 0
      : logRates.length % 2 === 1
        ? logRates[Math.floor(middle)]!
        : (logRates[middle - 1]! + logRates[middle]!) / 2;
  return { rate0: Math.exp(logRate0), halfRateTokens };
}

/**
 * A regime larger than this has a median that a completion or two straddling the change cannot move
 * far: no one is left out of it.
 */
const straddlerRegimeMaximum = 4;

/**
 * The completions of a new regime that were running when the machine changed speed: they prefilled
 * before the change and decoded (at least partly) after it, so their decode rate moved with the others'
 * and their prefill rate stayed at the old level. Among the few points of a new regime such a point is
 * no evidence of the new level (the latency fit leaves it out of both): a median of two is their mean,
 * and one old prefill among two put the slowed prefill 1.7× too fast for 19 requests (routing bench,
 * seed 7). `prefill` and `decode` carry the levels from before the change. A point is one when its decode moved past
 * noise (`minimumChange`) in the direction the regime's decode moved, its prefill did not move past
 * noise, and the prefills of at least as many other points of the regime did move past it, in the same
 * direction. A regime whose prefill did not change at all (only decode slowed) has none.
 */
export function prefillStraddlers<P>(
  since: readonly P[],
  prefill: RateComponent<P>,
  decode: RateComponent<P>,
): Set<P> {
  const straddlers = new Set<P>();
  if (since.length > straddlerRegimeMaximum) return straddlers;
  const shifts = since.map((point) => ({
    point,
    prefill: residualOf(point, prefill),
    decode: residualOf(point, decode),
  }));
  const decodeShifts = shifts
    .map((shift) => shift.decode)
    .filter(Number.isFinite)
    .sort((left, right) => left - right);
  if (decodeShifts.length === 0) return straddlers;
  const direction = Math.sign(decodeShifts[Math.floor((decodeShifts.length - 1) / 2)]!);
  const movedPast = (value: number) =>
    Number.isFinite(value) && Math.sign(value) === direction && Math.abs(value) > minimumChange;
  const moved = shifts.filter((shift) => movedPast(shift.prefill)).length;
  for (const shift of shifts) {
    if (movedPast(shift.decode) && Math.abs(shift.prefill) <= minimumChange) straddlers.add(shift.point);
  }
  // Straddlers are the few completions in flight at the change. When they would outnumber the points
  // whose prefill moved, the moved ones are more likely noise in a prefill that did not change.
  if (moved === 0 || straddlers.size > moved) straddlers.clear();
  return straddlers;
}

/** How far (log scale) a point's rate, scaled to an empty context, lies from the component's level. */
function residualOf<P>(point: P, { fit, contextOf, rateOf }: RateComponent<P>): number {
  return logLevelOf(point, contextOf, rateOf, fit.halfRateTokens) - Math.log(fit.rate0);
}

function logLevelOf<P>(
  point: P,
  contextOf: (point: P) => number,
  rateOf: (point: P) => number,
  halfRateTokens: number,
): number {
  return Math.log(rateOf(point) * (1 + contextOf(point) / halfRateTokens));
}
