/**
 * @module Timing model of a simulated cloud model: time to first token, then a steady decode rate, both
 * with seeded jitter and divided by a speed factor. switchyard's routing learns from these timings, so
 * they must be realistic by default and fast (but proportional) in tests.
 */
import type { RandomSource } from './seeded-random.js';

/** How fast one model answers. */
export interface LatencyProfile {
  /** Median time from request to first output token, in milliseconds. */
  readonly ttftMs: number;
  /** Median decode rate once output has started. */
  readonly tokensPerSecond: number;
}

/** When, relative to the request's arrival, each output token is ready (already scaled by speed). */
export interface Timeline {
  readonly firstTokenMs: number;
  /** Offset at which output token `index` (0-based) has been generated. */
  tokenReadyMs(index: number): number;
}

/** ±15 %: enough spread that a router cannot overfit, small enough that model ranking stays stable. */
const JITTER = 0.15;

export function planTimeline(profile: LatencyProfile, random: RandomSource, speedFactor: number): Timeline {
  const speed = speedFactor > 0 ? speedFactor : 1;
  const firstTokenMs = (profile.ttftMs * jitterFactor(random)) / speed;
  const perTokenMs = 1000 / Math.max(profile.tokensPerSecond, 0.001) / jitterFactor(random) / speed;
  return {
    firstTokenMs,
    tokenReadyMs: (index) => firstTokenMs + Math.max(0, index) * perTokenMs,
  };
}

function jitterFactor(random: RandomSource): number {
  return 1 + JITTER * (2 * random() - 1);
}
