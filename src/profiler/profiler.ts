/**
 * @module profiler/profiler
 * The profiler's one entry point, so that the routes and the composition root deal with a single
 * object: `record()` at the end of each upstream attempt feeds the in-memory statistics that the next
 * routing decision reads, the Prometheus metrics, and the batched SQLite writer; the system sampler
 * runs beside it on its own interval.
 */
import type { Config } from '../config/schema.js';
import type { ProfileRepository } from '../db/profile-repository.js';
import { type Metrics, observeCompletion } from '../metrics/metrics.js';
import type { CompletionProfile } from './completion-profile.js';
import { createModelStatsStore, type ModelStatsStore } from './model-stats.js';
import { createProfileWriter } from './profile-writer.js';
import {
  createSystemSampler,
  type LatestSystemSample,
  type SampleSystem,
  sampleThisMachine,
} from './system-sampler.js';

export interface ProfilerOptions {
  repository: ProfileRepository;
  metrics: Metrics;
  config: Config['profiler'];
  /** Receives the profiler's warnings (write failures, sampling failures), each logged once per episode. */
  log: (message: string) => void;
  /** Replaces systeminformation, for tests. */
  sampleSystem?: SampleSystem;
  /** Half-life of the weighted statistics, in observations. Default 20. */
  halfLife?: number;
}

export interface Profiler {
  /**
   * Records one finished attempt: statistics, metrics, and a queued database row pointing at the
   * latest system sample. Cheap and synchronous, for the request path; it never throws.
   */
  record(profile: CompletionProfile): void;
  /** Per-model statistics, read by routing (`get`, `all`). */
  readonly stats: ModelStatsStore;
  latestSystemSample(): LatestSystemSample | undefined;
  /**
   * Replays the newest stored completions into `stats`, starts the writer's timer and the sampler.
   * Waits at most a second for the first system sample, so that a slow GPU query cannot delay start-up.
   */
  start(): Promise<void>;
  /** Writes every row recorded so far. */
  flush(): Promise<void>;
  /** Stops the sampler and writes everything still queued. Call before closing the database. */
  close(): Promise<void>;
}

const firstSampleWaitMs = 1000;

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function createProfiler(options: ProfilerOptions): Profiler {
  const { repository, metrics, config, log } = options;
  const stats = createModelStatsStore({ windowSize: config.window_size, halfLife: options.halfLife });
  const writer = createProfileWriter({
    write: (rows) => repository.insertCompletions(rows),
    metrics,
    log,
    flushIntervalMs: config.flush_interval_ms,
    flushBatchSize: config.flush_batch_size,
  });
  const sampler = createSystemSampler({
    sample: options.sampleSystem ?? sampleThisMachine(),
    intervalMs: config.system_sample_interval_ms,
    repository,
    metrics,
    log,
  });
  let recordFailed = false;

  return {
    record(profile) {
      // A bug in bookkeeping must never fail a request whose answer has already been produced.
      try {
        stats.observe(profile);
        observeCompletion(metrics, profile);
        writer.enqueue({ ...profile, systemSampleId: sampler.latest()?.id });
      } catch (error) {
        if (!recordFailed) {
          log(`Cannot record a completion profile: ${messageOf(error)}`);
        }
        recordFailed = true;
      }
    },

    stats,

    latestSystemSample: () => sampler.latest(),

    async start() {
      try {
        stats.rebuild(repository.recentCompletions({ perModelLimit: config.window_size }));
      } catch (error) {
        // Without history routing starts from its defaults, which is worse but not fatal.
        log(`Cannot read stored profiles, starting with empty statistics: ${messageOf(error)}`);
      }
      writer.start();
      if (config.system_sample_interval_ms === 0) return;
      sampler.start();
      let timeout: NodeJS.Timeout | undefined;
      await Promise.race([
        sampler.sampleNow(),
        new Promise<void>((resolve) => {
          timeout = setTimeout(resolve, firstSampleWaitMs);
          timeout.unref();
        }),
      ]);
      clearTimeout(timeout);
    },

    flush: () => writer.flush(),

    async close() {
      await sampler.stop();
      await writer.close();
    },
  };
}
