/**
 * @module test/routing/circuit-breaker
 * The circuit breaker, driven by an explicit `now`: it opens after N consecutive failures, half-opens
 * after the cool-down and lets exactly one probe through, closes on the probe's success and re-opens for
 * another cool-down on its failure.
 */
import { describe, expect, it } from 'vitest';
import { CircuitBreaker } from '../../src/routing/circuit-breaker.js';

const options = { failureThreshold: 3, cooldownMs: 10_000 };

function opened(at: number): CircuitBreaker {
  const breaker = new CircuitBreaker(options);
  for (let failure = 0; failure < 3; failure++) breaker.onFailure(at);
  return breaker;
}

describe('CircuitBreaker', () => {
  it('stays closed below the threshold, and a success resets the count', () => {
    const breaker = new CircuitBreaker(options);
    breaker.onFailure(0);
    breaker.onFailure(1);
    expect(breaker.state(2)).toBe('closed');
    breaker.onSuccess();
    breaker.onFailure(3);
    breaker.onFailure(4);
    expect(breaker.state(5)).toBe('closed');
    expect(breaker.allows(5)).toBe(true);
  });

  it('opens after N consecutive failures and refuses until the cool-down ends', () => {
    const breaker = opened(1000);
    expect(breaker.state(1000)).toBe('open');
    expect(breaker.allows(1000)).toBe(false);
    expect(breaker.allows(10_999)).toBe(false);
    expect(breaker.state(11_000)).toBe('half-open');
    expect(breaker.allows(11_000)).toBe(true);
  });

  it('half-open lets exactly one probe through at a time', () => {
    const breaker = opened(0);
    expect(breaker.allows(10_000)).toBe(true);
    breaker.onAttempt(10_000);
    expect(breaker.allows(10_001)).toBe(false);
    expect(breaker.allows(15_000)).toBe(false);
  });

  it("the probe's success closes the circuit", () => {
    const breaker = opened(0);
    breaker.onAttempt(10_000);
    breaker.onSuccess();
    expect(breaker.state(10_001)).toBe('closed');
    expect(breaker.allows(10_001)).toBe(true);
    // And it takes N new failures to open again.
    breaker.onFailure(10_002);
    expect(breaker.state(10_003)).toBe('closed');
  });

  it("the probe's failure re-opens it for another full cool-down", () => {
    const breaker = opened(0);
    breaker.onAttempt(10_000);
    breaker.onFailure(10_500);
    expect(breaker.state(10_500)).toBe('open');
    expect(breaker.allows(20_499)).toBe(false);
    expect(breaker.allows(20_500)).toBe(true);
  });

  it('a probe that ends without a verdict (cancelled, bad request) frees the slot for the next probe', () => {
    const breaker = opened(0);
    breaker.onAttempt(10_000);
    expect(breaker.allows(10_001)).toBe(false);
    breaker.onInconclusive();
    expect(breaker.state(10_002)).toBe('half-open');
    expect(breaker.allows(10_002)).toBe(true);
  });

  it('attempts while closed do not reserve a probe', () => {
    const breaker = new CircuitBreaker(options);
    breaker.onAttempt(0);
    breaker.onAttempt(1);
    expect(breaker.allows(2)).toBe(true);
  });
});
