/**
 * @module test/gateway/routing-state-fixture
 * A `RoutingState` on a clock the test moves, with no database behind it (nothing learned before, no
 * spend, saves dropped), shared by the tests of the routing state and of the router that reads it.
 */
import type { Config } from '../../src/config/schema.js';
import type { ProfileRepository } from '../../src/db/profile-repository.js';
import type { Clock } from '../../src/gateway/clock.js';
import { RoutingState } from '../../src/gateway/routing-state.js';
import { createMetrics } from '../../src/metrics/metrics.js';

export function testRoutingState(config: Config, clock: Clock): RoutingState {
  const repository = {
    loadLearnedOutcomes: () => [],
    sumCostSince: () => 0,
    saveLearnedOutcomes: () => undefined,
  } as unknown as ProfileRepository;
  return new RoutingState({
    config,
    providers: [],
    repository,
    metrics: createMetrics(),
    clock,
    log: () => undefined,
  });
}
