/**
 * @module switchyard
 * Wires the parts together: database, profiler, metrics, providers, model catalog, router and the HTTP
 * app. Used by the server and by tests (with an in-memory database and simulated upstreams), so both
 * run exactly the same assembly.
 */
import type { Hono } from 'hono';
import { createApp } from './app.js';
import type { AppEnv } from './app-env.js';
import type { Config } from './config/schema.js';
import { openDatabase } from './db/client.js';
import { createProfileRepository, type ProfileRepository } from './db/profile-repository.js';
import { type Clock, systemClock } from './gateway/clock.js';
import { ModelCatalog } from './gateway/model-catalog.js';
import { createPerformanceRouter } from './gateway/performance-router.js';
import { RoutingState } from './gateway/routing-state.js';
import { createNodeFetch } from './http/node-fetch.js';
import { createLogger, type Logger } from './log.js';
import { createMetrics, type Metrics } from './metrics/metrics.js';
import { createProfiler, type Profiler } from './profiler/profiler.js';
import type { SampleSystem } from './profiler/system-sampler.js';
import { createProviders } from './providers/registry.js';

export interface SwitchyardOptions {
  config: Config;
  env: Record<string, string | undefined>;
  fetch?: typeof fetch;
  clock?: Clock;
  random?: () => number;
  log?: Logger;
  /** Replaces systeminformation (tests). */
  sampleSystem?: SampleSystem;
}

export interface Switchyard {
  app: Hono<AppEnv>;
  config: Config;
  catalog: ModelCatalog;
  profiler: Profiler;
  repository: ProfileRepository;
  metrics: Metrics;
  routingState: RoutingState;
  /** Rebuilds statistics from the database and starts background sampling and writing. */
  start(): Promise<void>;
  /** Flushes queued profile rows, closes the database and the upstream connection pools it made. */
  close(): Promise<void>;
}

export function createSwitchyard(options: SwitchyardOptions): Switchyard {
  const { config } = options;
  const clock = options.clock ?? systemClock;
  const random = options.random ?? Math.random;
  const log = options.log ?? createLogger();
  const database = openDatabase(config.database.path);
  const repository = createProfileRepository(database);
  const metrics = createMetrics();
  const profiler = createProfiler({
    repository,
    metrics,
    config: config.profiler,
    log: (message) => log('warn', message),
    ...(options.sampleSystem ? { sampleSystem: options.sampleSystem } : {}),
  });
  // The SDKs' API calls go over node:http (http/node-fetch.ts: a fraction of undici's cost per request),
  // unless the caller gives a fetch, which stays the caller's to close.
  const upstream = options.fetch ? { fetch: options.fetch, close: () => undefined } : createNodeFetch();
  const providers = createProviders({
    config,
    env: options.env,
    fetch: upstream.fetch,
    imageFetch: options.fetch ?? globalThis.fetch,
    now: () => clock.now(),
    random,
  });
  const catalog = new ModelCatalog(providers, config.aliases);
  const routingState = new RoutingState({ config, providers, repository, metrics, clock, log });
  const router = createPerformanceRouter({
    config,
    stats: profiler.stats,
    state: routingState,
    clock,
    random,
  });
  const app = createApp({
    config,
    catalog,
    router,
    metrics,
    clock,
    random,
    log,
    record: (profile) => profiler.record(profile),
    observer: routingState,
    explain: router.explain,
  });
  let closed = false;
  return {
    app,
    config,
    catalog,
    profiler,
    repository,
    metrics,
    routingState,
    async start() {
      await profiler.start();
      routingState.start();
    },
    async close() {
      if (closed) return;
      closed = true;
      routingState.close();
      try {
        await profiler.close();
        database.close();
      } finally {
        // Last (the server has let its requests finish before calling this, see server.ts): closing a
        // pool cuts any exchange still on it. Even after a failed flush, so that no socket outlives the
        // instance (tests and embedders create many).
        upstream.close();
        for (const provider of providers) provider.close?.();
      }
    },
  };
}
