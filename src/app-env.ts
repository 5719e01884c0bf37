/**
 * @module app-env
 * The dependencies `createApp` receives and the typed Hono context every route sees.
 */
import type { Config } from './config/schema.js';
import type { AttemptObserver, AttemptRunnerDeps } from './gateway/attempt-runner.js';
import type { Clock } from './gateway/clock.js';
import type { ModelCatalog } from './gateway/model-catalog.js';
import type { RoutingExplanation } from './gateway/performance-router.js';
import type { AutoRouter } from './gateway/plan.js';
import type { Logger } from './log.js';
import type { Metrics } from './metrics/metrics.js';
import type { CompletionProfile } from './profiler/completion-profile.js';

/** Everything the HTTP app needs, injected: tests build these without sockets, files or network. */
export interface AppDeps {
  config: Config;
  catalog: ModelCatalog;
  router: AutoRouter;
  metrics: Metrics;
  clock: Clock;
  random: () => number;
  log: Logger;
  /** Called once per upstream attempt with its profile (the profiler's `record`). */
  record: (profile: CompletionProfile) => void;
  /** Live routing state fed by every attempt (in-flight counts, breakers, outcomes). */
  observer?: AttemptObserver;
  /** Explains an `auto` decision without calling a model (`POST /v1/route/explain`). */
  explain?: (input: Parameters<AutoRouter>[0]) => Promise<RoutingExplanation>;
  /** Optional extra readiness facts for /health (database, profiler queue). */
  healthDetails?: () => Record<string, unknown>;
}

export interface AppEnv {
  Variables: {
    requestId: string;
    /** Monotonic ms when the request arrived, for overhead accounting. */
    receivedAt: number;
    /** Set once upstream attempts ran; they count the request in metrics themselves. */
    attemptsRan?: boolean;
    /** The route put `x-request-id` on its response itself; the app's middleware adds it otherwise. */
    requestIdSent?: boolean;
  };
}

export function runnerDeps(deps: AppDeps): AttemptRunnerDeps {
  return {
    clock: deps.clock,
    random: deps.random,
    metrics: deps.metrics,
    retry: deps.config.retry,
    record: deps.record,
    ...(deps.observer ? { observer: deps.observer } : {}),
  };
}
