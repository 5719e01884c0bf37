/**
 * @module clock
 * Monotonic time for measuring what the simulator really waited (the reported durations must match it),
 * wall-clock timestamps in Go's RFC3339Nano form (as Ollama writes `created_at`), and abortable sleeps.
 */

const wallAtStartNs = BigInt(Date.now()) * 1_000_000n;
const monotonicAtStartNs = process.hrtime.bigint();

/** Monotonic nanoseconds, for durations. */
export function monotonicNs(): bigint {
  return process.hrtime.bigint();
}

/** Wall-clock nanoseconds since the epoch with sub-millisecond precision (monotonic after start-up). */
export function wallClockNs(): bigint {
  return wallAtStartNs + (process.hrtime.bigint() - monotonicAtStartNs);
}

/**
 * Formats like Go's `time.Time` JSON encoding in UTC: RFC3339 with up to nine fractional digits,
 * trailing zeros trimmed and the fraction dropped when it is zero.
 */
export function formatTimestamp(epochNs: bigint = wallClockNs()): string {
  const milliseconds = Number(epochNs / 1_000_000n);
  const seconds = new Date(milliseconds).toISOString().slice(0, 19);
  const fraction = (epochNs % 1_000_000_000n).toString().padStart(9, '0').replace(/0+$/, '');
  return fraction === '' ? `${seconds}Z` : `${seconds}.${fraction}Z`;
}

/** Thrown by sleeps when their signal aborts; callers stop quietly on it. */
export class SleepAbortedError extends Error {
  constructor() {
    super('aborted');
    this.name = 'SleepAbortedError';
  }
}

/** Waits `ms` real milliseconds; rejects with SleepAbortedError when the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return sleepUntil(monotonicNs() + BigInt(Math.max(0, Math.round(ms * 1e6))), signal);
}

/**
 * Waits until a monotonic deadline; returns at once when it has passed. Timers run on libuv's cached
 * loop clock and can fire a little early, so the deadline is checked again on waking: a phase never
 * lasts less than the time it reports.
 */
export function sleepUntil(deadlineNs: bigint, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new SleepAbortedError());
    };
    const check = (): void => {
      const remainingMs = Number(deadlineNs - monotonicNs()) / 1e6;
      if (remainingMs <= 0) {
        signal?.removeEventListener('abort', onAbort);
        resolve();
        return;
      }
      timer = setTimeout(check, remainingMs);
    };
    if (signal?.aborted) {
      reject(new SleepAbortedError());
      return;
    }
    signal?.addEventListener('abort', onAbort, { once: true });
    check();
  });
}
