/**
 * @module bench/overhead/stats
 * Percentiles (nearest rank on sorted samples) and the per-target summary the report is built from.
 */
import type { Sample } from './load.js';

export function percentile(sorted: ArrayLike<number>, fraction: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil(fraction * sorted.length) - 1;
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))]!;
}

/** `percentile` of values in any order (sorts a copy). */
export function percentileOf(values: readonly number[], fraction: number): number {
  return percentile(
    [...values].sort((left, right) => left - right),
    fraction,
  );
}

export interface Distribution {
  p50: number;
  p90: number;
  p99: number;
  mean: number;
  max: number;
}

export function distribution(values: number[]): Distribution {
  const sorted = Float64Array.from(values).sort();
  let sum = 0;
  for (const value of sorted) sum += value;
  return {
    p50: percentile(sorted, 0.5),
    p90: percentile(sorted, 0.9),
    p99: percentile(sorted, 0.99),
    mean: sorted.length > 0 ? sum / sorted.length : Number.NaN,
    max: sorted.length > 0 ? sorted[sorted.length - 1]! : Number.NaN,
  };
}

export interface TargetSummary {
  requests: number;
  errors: number;
  firstError?: string;
  /** Requests per second over the time spent in this target's batches. */
  requestsPerSecond: number;
  total: Distribution;
  firstByte: Distribution;
  /** CPU time (user + system, all threads) the proxy process spent per request; proxies only. */
  cpuMsPerRequest?: number;
}

export function summarise(
  samples: Sample[],
  errors: number,
  busyMs: number,
  firstError?: string,
): TargetSummary {
  return {
    requests: samples.length,
    errors,
    ...(firstError !== undefined ? { firstError } : {}),
    requestsPerSecond: busyMs > 0 ? (samples.length / busyMs) * 1000 : 0,
    total: distribution(samples.map((sample) => sample.totalMs)),
    firstByte: distribution(samples.map((sample) => sample.firstByteMs)),
  };
}
