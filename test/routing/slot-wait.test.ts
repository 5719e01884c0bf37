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

  it('ends no later than the longest the holder can run', () => {
    const open = medianSlotWaitMs([{ elapsedMs: 900, totalMs: 1000, logSigma: 0.8 }], [], 1);
    const cut = medianSlotWaitMs([{ elapsedMs: 900, totalMs: 1000, logSigma: 0.8, longestMs: 1100 }], [], 1);
    expect(open).toBeGreaterThan(400);
    expect(cut).toBeLessThanOrEqual(200);
    expect(cut).toBeGreaterThan(0);
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
    const holder = slotHolderOf({ ...planned, progress: { tokens: 50, sinceFirstTokenMs: 4500 } });
    expect(holder).toEqual({ elapsedMs: 4500, totalMs: 9000, logSigma: 0.4, longestMs: 23_040 });
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
    expect(near).toBeLessThanOrEqual(5 * 30);
    expect(blind).toBeGreaterThan(3 * near);
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
