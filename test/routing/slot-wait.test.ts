/**
 * @module test/routing/slot-wait
 * The wait for a free slot: from each holder's predicted total and spread, given how long it has run;
 * cut off at the longest a holder can run (`max_tokens`); and, once a holder streams, from how far its
 * answer has got at the pace of its own stream.
 */
import { describe, expect, it } from 'vitest';
import { medianSlotWaitMs, type RunningView, slotHolderOf } from '../../src/routing/slot-wait.js';

describe('medianSlotWaitMs', () => {
  it('is zero while a slot is free', () => {
    expect(medianSlotWaitMs([{ elapsedMs: 100, totalMs: 1000, logSigma: 0.3 }], [], 2)).toBe(0);
  });

  it('is the median remaining time of a lone holder', () => {
    // Log-normal around 1 000 ms; at its start, the median remaining time is the median itself.
    expect(medianSlotWaitMs([{ elapsedMs: 0, totalMs: 1000, logSigma: 0.3 }], [], 1)).toBeCloseTo(1000, -1);
  });

  it('an answer that would run past the longest it can stops there: that share is not dropped', () => {
    // Half of a log-normal around 1 000 ms lies beyond a cap at 1 000 ms: those answers end at the cap,
    // so the median end is the cap itself, however wide the spread.
    for (const logSigma of [0.3, 0.8]) {
      const capped = medianSlotWaitMs([{ elapsedMs: 0, totalMs: 1000, logSigma, longestMs: 1000 }], [], 1);
      expect(capped).toBeGreaterThan(990);
      expect(capped).toBeLessThanOrEqual(1000 + 1e-6);
    }
    // A cap far beyond the distribution changes nothing.
    const far = medianSlotWaitMs([{ elapsedMs: 0, totalMs: 1000, logSigma: 0.3, longestMs: 1e6 }], [], 1);
    expect(far).toBeCloseTo(1000, -1);
  });

  it('ends no later than the longest the holder can run', () => {
    const open = medianSlotWaitMs([{ elapsedMs: 900, totalMs: 1000, logSigma: 0.8 }], [], 1);
    const cut = medianSlotWaitMs([{ elapsedMs: 900, totalMs: 1000, logSigma: 0.8, longestMs: 1100 }], [], 1);
    expect(open).toBeGreaterThan(400);
    expect(cut).toBeLessThanOrEqual(200 + 1e-6);
    expect(cut).toBeGreaterThan(0);
  });
});

describe('medianSlotWaitMs with requests queued ahead', () => {
  const fresh = { elapsedMs: 0, totalMs: 1000, logSigma: 0.5 };

  it('is the median of the later of two slots when the queued request holds the first for long', () => {
    // The queued one takes whichever slot frees first and keeps it: the wait is the later of two
    // log-normal times around 1 000 ms, whose median is where both have ended with probability 1/2,
    // 1 000 · exp(0.5 · Φ⁻¹(√½)) = 1 313 ms: past both medians, not at them.
    const wait = medianSlotWaitMs([fresh, fresh], [{ serviceMs: 1e6, logSigma: 0.05 }], 2);
    expect(wait).toBeGreaterThan(1313 * 0.98);
    expect(wait).toBeLessThan(1313 * 1.02);
  });

  it('is the median of a sum of spread times, past the sum of their medians', () => {
    // One slot: the holder's remaining time plus the queued request's service, both log-normal around
    // 1 000 ms with a log-spread of 0.5. The median of their sum is about 2 120 ms (by simulation).
    const wait = medianSlotWaitMs([fresh], [{ serviceMs: 1000, logSigma: 0.5 }], 1);
    expect(wait).toBeGreaterThan(2120 * 0.97);
    expect(wait).toBeLessThan(2120 * 1.03);
    // Two slots, one queued request with the same spread: about 1 252 ms (by simulation).
    const two = medianSlotWaitMs([fresh, fresh], [{ serviceMs: 1000, logSigma: 0.5 }], 2);
    expect(two).toBeGreaterThan(1252 * 0.97);
    expect(two).toBeLessThan(1252 * 1.03);
  });

  it('reads a streaming holder’s remaining time as the lone-holder wait does', () => {
    // A queued request of no duration leaves the wait the holder’s own; so does a second holder that
    // runs for ever: the draws of each holder are its remaining time's quantiles.
    const sorted = Array.from({ length: 21 }, (_, index) => 400 + index * 10);
    const holders = [
      { elapsedMs: 900, totalMs: 1000, logSigma: 0.8, longestMs: 1100 },
      { elapsedMs: 3000, totalMs: 4800, logSigma: 0.3, lengths: { tokensOut: 300, msPerToken: 10, sorted } },
      { elapsedMs: 5500, totalMs: 4800, logSigma: 0.3, lengths: { tokensOut: 550, msPerToken: 10, sorted } },
    ];
    const forever = { elapsedMs: 0, totalMs: 1e9, logSigma: 0.05 };
    for (const holder of holders) {
      const alone = medianSlotWaitMs([holder], [], 1);
      const queued = medianSlotWaitMs([holder, forever], [{ serviceMs: 1e-6, logSigma: 0.05 }], 2);
      expect(queued).toBeCloseTo(alone, 0);
    }
  });
});

describe('a holder whose client’s recent answer lengths are known', () => {
  // A client whose answers run 400–600 tokens and never longer (say its prompts ask for that much).
  const sorted = Array.from({ length: 21 }, (_, index) => 400 + index * 10);
  const holder = (tokensOut: number) => ({
    elapsedMs: tokensOut * 10,
    totalMs: 480 * 10,
    logSigma: 0.3,
    longestMs: 2048 * 10,
    lengths: { tokensOut, msPerToken: 10, sorted },
  });

  it('an answer near its client’s longest is expected to end soon, as those answers did', () => {
    // 550 tokens out: of the answers longer than that (560…600), half ended by 580.
    const wait = medianSlotWaitMs([holder(550)], [], 1);
    expect(wait).toBeGreaterThan(200);
    expect(wait).toBeLessThanOrEqual(300 + 1e-6);
    // The log-normal alone, with no bound, expects it to run on much longer.
    const { lengths: _, ...logNormal } = holder(550);
    expect(medianSlotWaitMs([logNormal], [], 1)).toBeGreaterThan(2 * wait);
  });

  it('an answer already longer than nearly all of them falls back to the log-normal', () => {
    const beyond = holder(590);
    const { lengths: _, ...logNormal } = beyond;
    expect(medianSlotWaitMs([beyond], [], 1)).toBeCloseTo(medianSlotWaitMs([logNormal], [], 1), 6);
  });
});

describe('medianSlotWaitMs at the edges (found in review)', () => {
  it('reaches a client’s longest answers, however far beyond the holder’s own prediction they lie', () => {
    // Of this client's answers longer than the 20 tokens already out, all ran to 5 000 tokens.
    const recentLengths = [...Array(12).fill(10), ...Array(4).fill(5000)];
    const holder = slotHolderOf({
      servedMs: 1000,
      serviceMs: 1000,
      logSigma: 0.5,
      slowdown: 1,
      answer: { expectedTokens: 47, msPerToken: 20, recentLengths },
      progress: { tokens: 20, sinceFirstTokenMs: 380 },
    });
    expect(medianSlotWaitMs([holder], [], 1)).toBeCloseTo(4980 * 20, -2);
    // The queued path reads the same holder the same way.
    expect(medianSlotWaitMs([holder], [{ serviceMs: 1e-6, logSigma: 0.05 }], 1)).toBeCloseTo(4980 * 20, -2);
  });

  it('reads a holder past a tight prediction the same way with and without requests queued', () => {
    // The no-queue wait inverts the survival function; the queued path draws from its closed-form
    // inverse. Past its prediction (where the log-normal's tail runs out and an exponential one takes
    // over) they must still agree: an instant queued request leaves the wait the holder's own.
    for (const elapsedMs of [1200, 1500, 1990, 3000]) {
      const holder = { elapsedMs, totalMs: 1000, logSigma: 0.1 };
      const alone = medianSlotWaitMs([holder], [], 1);
      const drawn = medianSlotWaitMs([holder], [{ serviceMs: 1e-6, logSigma: 0.05 }], 1);
      expect(drawn).toBeGreaterThan(alone * 0.97);
      expect(drawn).toBeLessThan(alone * 1.03);
    }
  });

  it('the later of several holders far past a tight prediction is read from the tail, not clamped', () => {
    // Eight holders at twice a tight prediction (the log-normal leaves ~2e-12 beyond them), seven queued
    // for ever: the wait is the last holder to end, where each has ended with probability 0.5^(1/8).
    // That far past, the tail is exponential in the time run so far, as the lone-holder wait reads it.
    const holder = { elapsedMs: 1990, totalMs: 1000, logSigma: 0.1 };
    const expected = -1990 * Math.log(1 - 0.5 ** (1 / 8));
    const wait = medianSlotWaitMs(
      Array(8).fill(holder),
      Array(7).fill({ serviceMs: 1e9, logSigma: 0.05 }),
      8,
    );
    expect(wait).toBeGreaterThan(expected * 0.95);
    expect(wait).toBeLessThan(expected * 1.05);
  });

  it('a spread that is not a number is taken as wide, never as NaN', () => {
    const holder = { elapsedMs: 100, totalMs: 1000, logSigma: Number.NaN };
    expect(Number.isFinite(medianSlotWaitMs([holder], [], 1))).toBe(true);
    expect(Number.isFinite(medianSlotWaitMs([holder], [{ serviceMs: 100, logSigma: Number.NaN }], 1))).toBe(
      true,
    );
  });
});

describe('slotHolderOf', () => {
  const planned: RunningView = {
    servedMs: 3000,
    serviceMs: 4000,
    logSigma: 0.5,
    slowdown: 1,
    answer: { expectedTokens: 100, msPerToken: 30, lengthLogSigma: 0.4, maxTokens: 256 },
  };

  it('before its first token: its time on the slot against its predicted service time, slowed down', () => {
    expect(slotHolderOf({ ...planned, slowdown: 2 })).toEqual({
      elapsedMs: 3000,
      totalMs: 8000,
      logSigma: 0.5,
    });
  });

  it('streaming with few tokens: the tokens out at the predicted pace, the length spread and max_tokens', () => {
    expect(slotHolderOf({ ...planned, progress: { tokens: 10, sinceFirstTokenMs: 400 } })).toEqual({
      elapsedMs: 300,
      totalMs: 3000,
      logSigma: 0.4,
      longestMs: 7680,
    });
  });

  it('streaming with enough tokens: at the pace of its own stream (a model slower than predicted shows)', () => {
    // 50 tokens span 49 intervals in 4 500 ms.
    const pace = 4500 / 49;
    const holder = slotHolderOf({ ...planned, progress: { tokens: 50, sinceFirstTokenMs: 4500 } });
    expect(holder.elapsedMs).toBeCloseTo(50 * pace, 6);
    expect(holder.totalMs).toBeCloseTo(100 * pace, 6);
    expect(holder.longestMs).toBeCloseTo(256 * pace, 6);
    expect(holder.logSigma).toBe(0.4);
    // A measured pace already shows the slowdown: it is not stretched again.
    expect(
      slotHolderOf({ ...planned, slowdown: 3, progress: { tokens: 50, sinceFirstTokenMs: 4500 } }),
    ).toEqual(holder);
  });

  it('a burst of lines read at once has no pace to measure: the predicted one serves', () => {
    const burst = slotHolderOf({ ...planned, progress: { tokens: 50, sinceFirstTokenMs: 0 } });
    expect(burst).toEqual({ elapsedMs: 50 * 30, totalMs: 100 * 30, logSigma: 0.4, longestMs: 256 * 30 });
  });

  it('a client whose answer lengths are not learned yet gets a wide length spread', () => {
    const { lengthLogSigma: _, ...unlearned } = planned.answer!;
    const holder = slotHolderOf({
      ...planned,
      answer: unlearned,
      progress: { tokens: 10, sinceFirstTokenMs: 300 },
    });
    expect(holder.logSigma).toBeGreaterThanOrEqual(0.8);
  });

  it('an answer far along frees its slot sooner than its time on the slot alone suggests', () => {
    // Both have held the slot 3 s of a predicted 4 s; one is known to be 90 tokens into a 100-token answer
    // cut at 95 by max_tokens, so it must end within 5 tokens.
    const blind = medianSlotWaitMs([slotHolderOf(planned)], [], 1);
    const near = medianSlotWaitMs(
      [
        slotHolderOf({
          ...planned,
          answer: { ...planned.answer!, maxTokens: 95 },
          progress: { tokens: 90, sinceFirstTokenMs: 2700 },
        }),
      ],
      [],
      1,
    );
    // At most 5 tokens left, at its own pace (90 tokens span 89 intervals in 2 700 ms).
    expect(near).toBeLessThanOrEqual((5 * 2700) / 89 + 1e-6);
    expect(blind).toBeGreaterThan(3 * near);
  });

  it('carries the client’s recent answer lengths with the tokens out and the pace', () => {
    const recentLengths = [50, 80, 120];
    const holder = slotHolderOf({
      ...planned,
      answer: { ...planned.answer!, recentLengths },
      progress: { tokens: 10, sinceFirstTokenMs: 400 },
    });
    expect(holder.lengths).toEqual({ tokensOut: 10, msPerToken: 30, sorted: recentLengths });
  });

  it('without a planned answer it falls back to the time on the slot', () => {
    const { answer: _, ...unplanned } = planned;
    expect(slotHolderOf({ ...unplanned, progress: { tokens: 50, sinceFirstTokenMs: 100 } })).toEqual({
      elapsedMs: 3000,
      totalMs: 4000,
      logSigma: 0.5,
    });
  });
});
