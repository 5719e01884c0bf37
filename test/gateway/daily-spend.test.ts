/**
 * @module test/gateway/daily-spend
 * The day's cloud spend: seeded from what was stored since midnight UTC, added to, and reset when the
 * day changes.
 */
import { describe, expect, it } from 'vitest';
import type { Clock } from '../../src/gateway/clock.js';
import { DailySpend } from '../../src/gateway/daily-spend.js';

const dayMs = 86_400_000;

describe('daily spend', () => {
  it('starts from the stored spend since midnight, adds to it, and resets the next day', () => {
    let now = 20 * dayMs + 5_000;
    const clock: Clock = { now: () => now, monotonic: () => now, sleep: async () => undefined };
    const since: number[] = [];
    const spend = new DailySpend(clock, {
      sumCostSince: (startedAt) => {
        since.push(startedAt);
        return 1.5;
      },
    });
    expect(since).toEqual([20 * dayMs]);
    expect(spend.dollars()).toBe(1.5);
    spend.add(0.25);
    expect(spend.dollars()).toBe(1.75);
    now = 21 * dayMs;
    expect(spend.dollars()).toBe(0);
    spend.add(0.5);
    now = 22 * dayMs - 1;
    expect(spend.dollars()).toBe(0.5);
  });
});
