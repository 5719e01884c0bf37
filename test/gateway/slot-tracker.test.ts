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
    expect(tracker.expectedQueueWaitMs('m', 1, 1, 100)).toBeCloseTo(behindOne + 500, 0);
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
});
