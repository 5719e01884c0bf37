/**
 * @module test/gateway/slot-tracker
 * The slot bookkeeping on its own: attempts beyond the engine's parallel slots queue, a freed slot goes
 * to the oldest queued attempt of the same model (first come, first served), and queued attempts add to
 * the wait of a request arriving now.
 */
import { describe, expect, it } from 'vitest';
import type { PlannedAttempt } from '../../src/gateway/attempt-runner.js';
import { SlotTracker } from '../../src/gateway/slot-tracker.js';
import { fakeProvider } from './attempt-fakes.js';

const provider = fakeProvider('ollama', async function* () {});
const plan = (): PlannedAttempt => ({ provider, model: 'm' });

describe('slot tracker', () => {
  it('gives a freed slot to the oldest queued attempt of the model, not to a later one or another model', () => {
    const tracker = new SlotTracker(2);
    const [first, second, third, fourth] = [plan(), plan(), plan(), plan()];
    const other = plan();
    tracker.start(first, 'm', { serviceMs: 100 }, 0);
    tracker.start(second, 'm', { serviceMs: 100 }, 10);
    tracker.start(third, 'm', { serviceMs: 100 }, 20);
    tracker.start(other, 'n', { serviceMs: 100 }, 25);
    tracker.start(fourth, 'm', { serviceMs: 100 }, 30);
    expect(tracker.inFlightOf('m')).toBe(4);
    expect(tracker.finish(second, 'm', 50)).toMatchObject({ startedAt: 10, servedSince: 10 });
    expect(tracker.finish(fourth, 'm', 60)?.servedSince).toBeUndefined();
    expect(tracker.finish(third, 'm', 70)).toMatchObject({ startedAt: 20, servedSince: 50 });
    expect(tracker.finish(other, 'n', 80)).toMatchObject({ startedAt: 25, servedSince: 25 });
    expect(tracker.inFlightOf('m')).toBe(1);
    expect(tracker.inFlightOf('n')).toBe(0);
  });

  it('an attempt it never saw start changes nothing and leaves no count below zero', () => {
    const tracker = new SlotTracker(1);
    expect(tracker.finish(plan(), 'm', 0)).toBeUndefined();
    expect(tracker.inFlightOf('m')).toBe(0);
  });

  it('no wait while a slot is free; attempts queued ahead lengthen it', () => {
    const tracker = new SlotTracker(1);
    expect(tracker.expectedQueueWaitMs('m', 1, 1, 0)).toBe(0);
    tracker.start(plan(), 'm', { serviceMs: 500, logSigma: 0.1 }, 0);
    const behindOne = tracker.expectedQueueWaitMs('m', 1, 1, 100);
    expect(behindOne).toBeGreaterThan(300);
    expect(behindOne).toBeLessThan(500);
    tracker.start(plan(), 'm', { serviceMs: 500, logSigma: 0.1 }, 100);
    // Behind a queued one: its service on top (a little more, since the median of a sum of skewed times
    // is past the sum of their medians).
    const behindTwo = tracker.expectedQueueWaitMs('m', 1, 1, 100);
    expect(behindTwo).toBeGreaterThan(behindOne + 490);
    expect(behindTwo).toBeLessThan(behindOne + 530);
    expect(tracker.expectedQueueWaitMs('m', 2, 1, 100)).toBeGreaterThan(0);
  });

  it('stretches a prediction by the slowdown seen since it was made, not by one it already included', () => {
    const plain = new SlotTracker(1);
    plain.start(plan(), 'm', { serviceMs: 500, logSigma: 0.1 }, 0);
    const slowed = new SlotTracker(1);
    // Planned under 3× slowdown evidence: its 1 500 ms already include it.
    slowed.start(plan(), 'm', { serviceMs: 1500, logSigma: 0.1, slowdown: 3 }, 0);
    expect(slowed.expectedQueueWaitMs('m', 1, 3, 100)).toBeCloseTo(
      plain.expectedQueueWaitMs('m', 1, 3, 100),
      6,
    );
    // The evidence gone since: the slowed plan is taken back to the model's own speed.
    expect(slowed.expectedQueueWaitMs('m', 1, 1, 100)).toBeCloseTo(
      plain.expectedQueueWaitMs('m', 1, 1, 100),
      6,
    );
  });

  it('reads a slowdown from the recent pace of an answer streaming now, relative to the current fit', () => {
    const tracker = new SlotTracker(2);
    const answer = { expectedTokens: 400, msPerToken: 10 };
    const progress = tracker.start(plan(), 'm', { serviceMs: 4000, speed: 100, answer }, 0);
    // No lap yet: no evidence.
    expect(tracker.paceSlowdown('m', 100)).toBe(1);
    // Its last two laps of 16 pieces took 480 ms each: 30 ms a token against the 10 predicted.
    progress.pieces = 64;
    progress.earlierLapAt = 520;
    progress.previousLapAt = 1000;
    progress.lapAt = 1480;
    expect(tracker.paceSlowdown('m', 100)).toBeCloseTo(3, 6);
    // A fit that has since learned the slowdown (a third of the speed) expects that pace: no evidence.
    expect(tracker.paceSlowdown('m', 100 / 3)).toBe(1);
    // Within the noise of pace inside an answer (11 ms a token): no evidence.
    progress.lapAt = 1176;
    expect(tracker.paceSlowdown('m', 100)).toBe(1);
    // One slow lap after one at the planned pace (a stall of the event loop): no evidence.
    progress.earlierLapAt = 840;
    progress.previousLapAt = 1000;
    progress.lapAt = 1480;
    expect(tracker.paceSlowdown('m', 100)).toBe(1);
    // Two laps slow, but not equally: the faster of them is the evidence (2× here).
    progress.earlierLapAt = 680;
    expect(tracker.paceSlowdown('m', 100)).toBeCloseTo(2, 6);
    // Another model's answers say nothing about this one.
    expect(tracker.paceSlowdown('n', 100)).toBe(1);
  });
});
