/**
 * @module routing/circuit-breaker
 * Stops sending requests to an upstream that keeps failing, and lets one probe through after a cool-down
 * to find out whether it is back. Failures are the upstream's (unreachable, 5xx, timeouts), not the
 * client's (bad requests) nor cancellations. Pure: time comes in as `now`.
 */

export type CircuitState = 'closed' | 'open' | 'half-open';

export interface CircuitBreakerOptions {
  failureThreshold: number;
  cooldownMs: number;
}

export class CircuitBreaker {
  private consecutiveFailures = 0;
  private openedAt: number | undefined;
  private probeInFlight = false;

  constructor(private readonly options: CircuitBreakerOptions) {}

  state(now: number): CircuitState {
    if (this.openedAt === undefined) return 'closed';
    return now - this.openedAt >= this.options.cooldownMs ? 'half-open' : 'open';
  }

  /** Whether a request may be sent now. In half-open state, only one probe at a time. */
  allows(now: number): boolean {
    const state = this.state(now);
    if (state === 'closed') return true;
    return state === 'half-open' && !this.probeInFlight;
  }

  /** Call when a request is actually sent, so a half-open circuit lets only one probe through. */
  onAttempt(now: number): void {
    if (this.state(now) === 'half-open') this.probeInFlight = true;
  }

  onSuccess(): void {
    this.consecutiveFailures = 0;
    this.openedAt = undefined;
    this.probeInFlight = false;
  }

  /**
   * Call when an attempt ended without saying anything about the upstream (the client cancelled, or the
   * request itself was at fault): a half-open probe slot is freed, so that the next request can probe.
   */
  onInconclusive(): void {
    this.probeInFlight = false;
  }

  onFailure(now: number): void {
    this.probeInFlight = false;
    this.consecutiveFailures += 1;
    if (this.openedAt !== undefined || this.consecutiveFailures >= this.options.failureThreshold) {
      // A failed probe re-opens for another cool-down.
      this.openedAt = now;
    }
  }
}
