/**
 * @module gateway/clock
 * Time and chance as injected dependencies, so that timing code, backoff and id generation can be
 * driven by tests. Production uses the real ones.
 */

export interface Clock {
  /** Wall-clock milliseconds since the epoch (for timestamps that are stored). */
  now(): number;
  /** Monotonic milliseconds with sub-millisecond precision (for durations). */
  monotonic(): number;
  /** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal?.reason);
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
};
