/**
 * @module profiler/model-stats
 * What switchyard knows about each model's speed, in memory, updated with every completion: the input
 * the routing engine's latency prediction reads on every `auto` request. Statistics are online (no
 * history is rescanned): Welford's mean and variance for the long run, an exponentially weighted mean
 * and variance so that recent completions (a model now sharing the GPU, a new quantisation) weigh
 * more, and a ring buffer of recent observations that a predictor can fit prompt length against.
 * At start-up `rebuild()` replays the newest stored rows, so a restart does not forget.
 */
import type { CompletionOutcome, CompletionProfile } from './completion-profile.js';

/** One completion as the latency predictor sees it. Times in ms, rates in tokens per second. */
export interface Observation {
  /** When the attempt started, ms since the epoch. */
  readonly at: number;
  /** Prompt tokens as reported by the upstream, else Ollama's prompt_eval_count, else switchyard's estimate. */
  readonly promptTokens: number;
  /** Prompt tokens the engine actually evaluated (the rest came from its cache). */
  readonly promptEvalCount?: number;
  readonly cachedPromptTokens?: number;
  /** switchyard's tokenizer-free estimate of the prompt, for calibrating it against the engine's count. */
  readonly estimatedPromptTokens?: number;
  /** Tokens routing expected the prefix cache to skip (0 = none expected: a clean calibration point). */
  readonly estimatedCachedTokens?: number;
  /** Completion tokens as reported (or Ollama's eval_count); 0 when unknown. */
  readonly completionTokens: number;
  readonly numCtx?: number;
  readonly prefillTokensPerSecond?: number;
  readonly decodeTokensPerSecond?: number;
  /** Engine load time; present whenever the engine reported one, cold or warm. */
  readonly loadMs?: number;
  readonly coldStart: boolean;
  readonly ttftMs?: number;
  readonly durationMs: number;
  readonly outcome: CompletionOutcome;
}

/** Running statistics of one quantity. `variance` is the sample variance (n − 1); 0 below two values. */
export interface RunningStats {
  readonly count: number;
  readonly mean: number;
  readonly variance: number;
  /** Exponentially weighted mean: an observation `halfLife` observations old weighs half as much. */
  readonly ewMean: number;
  readonly ewVariance: number;
}

/**
 * A read-only snapshot of one model's statistics. Snapshots are cached: `get()` returns the same
 * object until the model's next observation, and the first `get()` after one builds a new snapshot
 * (copying the ring buffer into `recent` once). So reading on every request costs nothing while no
 * completion has finished, and a snapshot never changes under a reader that keeps it across awaits.
 */
export interface ModelStats {
  readonly provider: string;
  readonly model: string;
  /** Grows with every observation of this model: lets readers cache anything derived (a fitted line). */
  readonly version: number;
  /** Completions with outcome `ok`: the only ones that feed the rate and time statistics. */
  readonly successes: number;
  /** Upstream errors and deadline overruns. */
  readonly errors: number;
  /** Attempts the client abandoned: neither a success nor the model's fault. */
  readonly aborted: number;
  readonly coldStarts: number;
  /** Start time of the newest observation, ms since the epoch. */
  readonly lastObservedAt: number;
  readonly prefillTokensPerSecond: RunningStats;
  readonly decodeTokensPerSecond: RunningStats;
  /** Load time of cold starts only (a warm load_duration of a few ms says nothing about loading). */
  readonly loadMs: RunningStats;
  readonly ttftMs: RunningStats;
  readonly durationMs: RunningStats;
  /** The newest observations (all outcomes; filter on `outcome`), oldest first, at most `windowSize`. */
  readonly recent: readonly Observation[];
}

export interface ModelStatsOptions {
  /** Observations kept per model in `recent` (config `profiler.window_size`). */
  windowSize: number;
  /** Half-life of the exponentially weighted statistics, in observations. Default 20. */
  halfLife?: number;
}

export interface ModelStatsStore {
  /** Feeds one completion in. O(1). */
  observe(profile: CompletionProfile): void;
  get(provider: string, model: string): ModelStats | undefined;
  /** Every model seen, in first-seen order. Cached like `get()`. */
  all(): readonly ModelStats[];
  /** Forgets everything and replays `profiles` (oldest first), as at start-up. */
  rebuild(profiles: Iterable<CompletionProfile>): void;
}

/** Welford's algorithm plus an exponentially weighted mean and variance (West, 1979). */
class Accumulator {
  count = 0;
  mean = 0;
  private m2 = 0;
  ewMean = 0;
  ewVariance = 0;

  constructor(private readonly alpha: number) {}

  add(value: number): void {
    this.count += 1;
    const delta = value - this.mean;
    this.mean += delta / this.count;
    this.m2 += delta * (value - this.mean);
    if (this.count === 1) {
      this.ewMean = value;
      this.ewVariance = 0;
      return;
    }
    const ewDelta = value - this.ewMean;
    const increment = this.alpha * ewDelta;
    this.ewMean += increment;
    this.ewVariance = (1 - this.alpha) * (this.ewVariance + ewDelta * increment);
  }

  snapshot(): RunningStats {
    return Object.freeze({
      count: this.count,
      mean: this.mean,
      variance: this.count > 1 ? this.m2 / (this.count - 1) : 0,
      ewMean: this.ewMean,
      ewVariance: this.ewVariance,
    });
  }
}

class ModelEntry {
  version = 0;
  successes = 0;
  errors = 0;
  aborted = 0;
  coldStarts = 0;
  lastObservedAt = 0;
  readonly prefill: Accumulator;
  readonly decode: Accumulator;
  readonly load: Accumulator;
  readonly ttft: Accumulator;
  readonly duration: Accumulator;
  /** Fixed-size ring; `written` counts every push, so the oldest slot is `written % capacity` once full. */
  private readonly ring: Observation[] = [];
  private written = 0;
  private cached: ModelStats | undefined;

  constructor(
    readonly provider: string,
    readonly model: string,
    private readonly capacity: number,
    alpha: number,
  ) {
    this.prefill = new Accumulator(alpha);
    this.decode = new Accumulator(alpha);
    this.load = new Accumulator(alpha);
    this.ttft = new Accumulator(alpha);
    this.duration = new Accumulator(alpha);
  }

  push(observation: Observation): void {
    this.ring[this.written % this.capacity] = observation;
    this.written += 1;
    this.version += 1;
    this.cached = undefined;
  }

  snapshot(): ModelStats {
    if (this.cached !== undefined) return this.cached;
    const start = this.written > this.capacity ? this.written % this.capacity : 0;
    const recent = this.ring.slice(start).concat(this.ring.slice(0, start));
    this.cached = Object.freeze({
      provider: this.provider,
      model: this.model,
      version: this.version,
      successes: this.successes,
      errors: this.errors,
      aborted: this.aborted,
      coldStarts: this.coldStarts,
      lastObservedAt: this.lastObservedAt,
      prefillTokensPerSecond: this.prefill.snapshot(),
      decodeTokensPerSecond: this.decode.snapshot(),
      loadMs: this.load.snapshot(),
      ttftMs: this.ttft.snapshot(),
      durationMs: this.duration.snapshot(),
      recent: Object.freeze(recent),
    });
    return this.cached;
  }
}

function toObservation(profile: CompletionProfile): Observation {
  return Object.freeze({
    at: profile.startedAt,
    promptTokens: profile.promptTokens ?? profile.promptEvalCount ?? profile.estimatedPromptTokens,
    promptEvalCount: profile.promptEvalCount,
    cachedPromptTokens: profile.cachedPromptTokens,
    estimatedPromptTokens: profile.estimatedPromptTokens,
    estimatedCachedTokens: profile.estimatedCachedTokens,
    completionTokens: profile.completionTokens ?? profile.evalCount ?? 0,
    numCtx: profile.numCtx,
    prefillTokensPerSecond: profile.prefillTokensPerSecond,
    decodeTokensPerSecond: profile.decodeTokensPerSecond,
    loadMs: profile.loadDurationNs === undefined ? undefined : profile.loadDurationNs / 1e6,
    coldStart: profile.coldStart ?? false,
    ttftMs: profile.timeToFirstTokenMs,
    durationMs: profile.durationMs,
    outcome: profile.outcome,
  });
}

/** A value must be finite and non-negative to mean anything (a 0 ns eval duration gives an infinite rate). */
function addIfUsable(accumulator: Accumulator, value: number | undefined): void {
  if (value !== undefined && Number.isFinite(value) && value >= 0) accumulator.add(value);
}

export function createModelStatsStore(options: ModelStatsOptions): ModelStatsStore {
  const halfLife = options.halfLife ?? 20;
  if (!(halfLife > 0)) throw new Error(`halfLife must be positive, got ${halfLife}`);
  if (!(options.windowSize >= 1)) throw new Error(`windowSize must be at least 1, got ${options.windowSize}`);
  // Weight of the newest observation such that after `halfLife` more, it has decayed to one half.
  const alpha = 1 - 2 ** (-1 / halfLife);
  // Keyed by provider then model: model names may contain '/' (`library/qwen:7b`), so no joined key.
  let entries = new Map<string, Map<string, ModelEntry>>();
  let ordered: ModelEntry[] = [];
  let allCache: readonly ModelStats[] | undefined;

  function entryFor(provider: string, model: string): ModelEntry {
    let byModel = entries.get(provider);
    if (byModel === undefined) {
      byModel = new Map();
      entries.set(provider, byModel);
    }
    let entry = byModel.get(model);
    if (entry === undefined) {
      entry = new ModelEntry(provider, model, options.windowSize, alpha);
      byModel.set(model, entry);
      ordered.push(entry);
    }
    return entry;
  }

  function observe(profile: CompletionProfile): void {
    const entry = entryFor(profile.provider, profile.model);
    entry.lastObservedAt = Math.max(entry.lastObservedAt, profile.startedAt);
    if (profile.outcome === 'ok') {
      entry.successes += 1;
      addIfUsable(entry.prefill, profile.prefillTokensPerSecond);
      addIfUsable(entry.decode, profile.decodeTokensPerSecond);
      if (profile.coldStart && profile.loadDurationNs !== undefined) {
        addIfUsable(entry.load, profile.loadDurationNs / 1e6);
      }
      addIfUsable(entry.ttft, profile.timeToFirstTokenMs);
      addIfUsable(entry.duration, profile.durationMs);
    } else if (profile.outcome === 'client_aborted') {
      entry.aborted += 1;
    } else {
      entry.errors += 1;
    }
    if (profile.coldStart) entry.coldStarts += 1;
    entry.push(toObservation(profile));
    allCache = undefined;
  }

  return {
    observe,
    get(provider, model) {
      return entries.get(provider)?.get(model)?.snapshot();
    },
    all() {
      allCache ??= Object.freeze(ordered.map((entry) => entry.snapshot()));
      return allCache;
    },
    rebuild(profiles) {
      entries = new Map();
      ordered = [];
      allCache = undefined;
      for (const profile of profiles) observe(profile);
    },
  };
}
