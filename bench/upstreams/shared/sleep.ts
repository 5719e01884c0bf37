/**
 * @module Waiting that stops early when the client goes away, so a simulator never keeps timers alive
 * for a connection nobody reads any more (and tests close quickly).
 */

/** Resolves after `ms`, or as soon as `signal` aborts; it never rejects, callers check the signal. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0 || signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Sleeps until `startedAt + offsetMs` on the `performance.now()` clock, so per-token delays do not drift. */
export function sleepUntil(startedAt: number, offsetMs: number, signal?: AbortSignal): Promise<void> {
  const remaining = startedAt + offsetMs - performance.now();
  // Timers fire no sooner than ~1 ms; batching shorter waits keeps high speed factors accurate.
  if (remaining < 1) return Promise.resolve();
  return sleep(remaining, signal);
}
