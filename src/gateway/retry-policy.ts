/**
 * @module gateway/retry-policy
 * Whether a try that failed before its first event is made again, and after how long: exponential
 * backoff with jitter, or the wait the upstream asked for when that is short enough.
 */
import type { Config } from '../config/schema.js';
import type { GatewayError } from '../errors.js';

/** Backoff before retrying the same attempt, or undefined when it should not be retried. */
export function retryDelay(
  policy: Config['retry'],
  random: () => number,
  error: GatewayError,
  retry: number,
): number | undefined {
  // Only failures before the first event get here: a stream that broke that early sent the client
  // nothing, so it is as safe to retry as a 5xx, although the same kind after the first event is not.
  const retryable = error.retryable || error.kind === 'stream_interrupted';
  if (!retryable || retry >= policy.max_retries) return undefined;
  if (error.retryAfterSeconds !== undefined) {
    const asked = error.retryAfterSeconds * 1000;
    // An upstream that asks for a longer wait than we allow is better escalated than waited on.
    return asked <= policy.max_delay_ms ? asked : undefined;
  }
  const exponential = Math.min(policy.max_delay_ms, policy.base_delay_ms * 2 ** retry);
  return exponential * (0.5 + random() * 0.5);
}
