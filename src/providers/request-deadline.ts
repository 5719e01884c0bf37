/**
 * @module providers/request-deadline
 * One upstream call's abort signal: it follows the caller's signal and fires on its own after the
 * provider's `timeout_ms`. Unlike `AbortSignal.timeout()` (whose timer, and everything the signal
 * reaches, lives until it fires — ten minutes by default, at every request) or an SDK's own timer, it is
 * released as soon as the call ends: `dispose()` clears the timer and the listener.
 */

export interface RequestDeadline {
  signal: AbortSignal;
  /** The deadline fired (as opposed to the caller aborting). */
  expired(): boolean;
  /** Aborts the call now (a consumer that stopped reading early). */
  abort(): void;
  /** Clears the timer and detaches from the caller's signal. Does not abort: a finished call keeps its connection. */
  dispose(): void;
}

export function startRequestDeadline(callerSignal: AbortSignal, timeoutMs: number): RequestDeadline {
  const controller = new AbortController();
  let expired = false;
  const onCallerAbort = () => controller.abort(callerSignal.reason);
  if (callerSignal.aborted) onCallerAbort();
  else callerSignal.addEventListener('abort', onCallerAbort, { once: true });
  const timer = setTimeout(() => {
    expired = true;
    controller.abort(new DOMException(`no answer within ${timeoutMs} ms`, 'TimeoutError'));
  }, timeoutMs);
  timer.unref();
  return {
    signal: controller.signal,
    expired: () => expired,
    abort() {
      if (!controller.signal.aborted) controller.abort();
    },
    dispose() {
      clearTimeout(timer);
      callerSignal.removeEventListener('abort', onCallerAbort);
    },
  };
}
