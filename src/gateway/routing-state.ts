/**
 * @module gateway/routing-state
 * The live, mutable state routing decisions read, kept beside the pure decision code: requests in
 * flight per model, which local models are loaded, circuit breakers per upstream, prompts recently sent
 * (for the prefix-cache estimate), the day's cloud spend, typical output length per client, and learned
 * outcomes. It is fed by the attempt runner's observer hooks and by a poll of the local engines.
 * The slot bookkeeping, the slowdown evidence, the answer-length statistics and the spend each live in a
 * module of their own; this class composes them and keeps the order in which an attempt updates them.
 */
import type { ComplexityClass, Config } from '../config/schema.js';
import type { ProfileRepository } from '../db/profile-repository.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics/metrics.js';
import type { ChatRequest } from '../openai/chat-request.js';
import type { CompletionProfile } from '../profiler/completion-profile.js';
import type { ProviderAdapter } from '../providers/provider.js';
import { CircuitBreaker } from '../routing/circuit-breaker.js';
import { judgeAnswer, OutcomeLearner } from '../routing/outcome-learning.js';
import { PrefixCacheTracker, type PromptChain } from '../routing/prefix-cache.js';
import type { AttemptAnswer, AttemptObserver, AttemptProgress, PlannedAttempt } from './attempt-runner.js';
import { ClientOutputLengths } from './client-output-lengths.js';
import type { Clock } from './clock.js';
import { DailySpend } from './daily-spend.js';
import {
  type PlannedExpectation,
  queuedThroughout,
  type RunningAttempt,
  SlotTracker,
} from './slot-tracker.js';
import { SlowdownEvidence } from './slowdown-evidence.js';

export type { PlannedExpectation } from './slot-tracker.js';

export interface RoutingStateOptions {
  config: Config;
  providers: readonly ProviderAdapter[];
  repository: ProfileRepository;
  metrics: Metrics;
  clock: Clock;
  log: Logger;
}

/** Per-request routing facts the observer needs when the attempt finishes. */
interface RequestRoutingFacts {
  complexity: ComplexityClass;
  client: string;
  chain: PromptChain;
}

export class RoutingState implements AttemptObserver {
  readonly prefixCache: PrefixCacheTracker;
  readonly outcomes: OutcomeLearner;
  private readonly slots: SlotTracker;
  private readonly slowdown: SlowdownEvidence;
  private readonly spend: DailySpend;
  private readonly outputLengths = new ClientOutputLengths();
  private readonly loadedUntil = new Map<string, number>();
  /**
   * Per local model: the attempt whose request set the engine loading it (sent while it was not in
   * memory, with nothing else on it), until it ends; and when the last such attempt ended before its
   * first token. Ollama loads a model under the context of the request that asked for it and drops the
   * load when that request goes away, so the requests still waiting start a load of their own then.
   */
  private readonly loadStarters = new Map<string, PlannedAttempt>();
  private readonly loadsDroppedAt = new Map<string, number>();
  private readonly breakers = new Map<string, CircuitBreaker>();
  /** What routing expected of the attempts it planned, until they start. */
  private readonly plannedExpectations = new WeakMap<PlannedAttempt, PlannedExpectation>();
  private readonly facts = new WeakMap<ChatRequest, RequestRoutingFacts>();
  private pollTimer: NodeJS.Timeout | undefined;
  private savedVersion = 0;

  constructor(private readonly options: RoutingStateOptions) {
    this.outcomes = new OutcomeLearner(
      options.repository
        .loadLearnedOutcomes()
        .map((row) => ({ ...row, complexity: row.complexity as ComplexityClass })),
    );
    this.savedVersion = this.outcomes.version;
    this.spend = new DailySpend(options.clock, options.repository);
    this.slots = new SlotTracker(options.config.routing.local_parallel_slots);
    this.prefixCache = new PrefixCacheTracker(options.config.routing.local_parallel_slots);
    this.slowdown = new SlowdownEvidence(options.clock);
  }

  /** Starts polling the local engines for loaded models. */
  start(): void {
    void this.pollLoadedModels();
    this.pollTimer = setInterval(
      () => void this.pollLoadedModels(),
      this.options.config.routing.poll_interval_ms,
    );
    this.pollTimer.unref();
  }

  /** Stops polling and saves learned outcomes. */
  close(): void {
    clearInterval(this.pollTimer);
    this.saveOutcomes();
  }

  saveOutcomes(): void {
    if (this.outcomes.version === this.savedVersion) return;
    try {
      this.options.repository.saveLearnedOutcomes(this.outcomes.rows());
      this.savedVersion = this.outcomes.version;
    } catch (error) {
      this.options.log('warn', 'could not save learned outcomes', { error: String(error) });
    }
  }

  /** Routing registers what it knows of a request before its attempts run. */
  describeRequest(request: ChatRequest, facts: RequestRoutingFacts): void {
    this.facts.set(request, facts);
  }

  inFlightOf(provider: string, model: string): number {
    return this.slots.inFlightOf(modelKey(provider, model));
  }

  /** When a load of the model was last dropped with the request that started it (see `loadStarters`). */
  loadDroppedAt(provider: string, model: string): number | undefined {
    return this.loadsDroppedAt.get(modelKey(provider, model));
  }

  isLoaded(provider: string, model: string): boolean {
    return (this.loadedUntil.get(modelKey(provider, model)) ?? 0) > this.options.clock.now();
  }

  breaker(provider: string): CircuitBreaker {
    let breaker = this.breakers.get(provider);
    if (!breaker) {
      const settings = this.options.config.routing.circuit_breaker;
      breaker = new CircuitBreaker({
        failureThreshold: settings.failure_threshold,
        cooldownMs: settings.cooldown_ms,
      });
      this.breakers.set(provider, breaker);
    }
    return breaker;
  }

  spentTodayDollars(): number {
    return this.spend.dollars();
  }

  /** The client's typical answer length (exponentially weighted geometric mean: the median of a log-normal). */
  learnedOutputTokens(client: string): number | undefined {
    return this.outputLengths.typicalTokens(client);
  }

  /** The spread (log scale) of the client's answer lengths, once there are enough answers to say. */
  learnedOutputLogSigma(client: string): number | undefined {
    return this.outputLengths.logSigma(client);
  }

  /** The client's recent answer lengths, sorted (undefined until there are enough). */
  recentOutputLengths(client: string): readonly number[] | undefined {
    return this.outputLengths.recentLengths(client);
  }

  /** Routing notes what it expects of a planned attempt: its time once it has a slot, and the speed assumed. */
  planned(attempt: PlannedAttempt, expectation: PlannedExpectation): void {
    this.plannedExpectations.set(attempt, expectation);
  }

  /**
   * How much slower than predicted a model is running right now (1 when there is no evidence of it): the
   * larger of what its abandoned attempts showed (`SlowdownEvidence.factor`) and the recent pace of its
   * answers streaming now (`SlotTracker.paceSlowdown`), which shows a slowdown as soon as one answer runs
   * through it, before any attempt fails or completes.
   */
  slowdownEvidence(provider: string, model: string, currentSpeed: number): number {
    const id = modelKey(provider, model);
    return Math.max(this.slowdown.factor(id, currentSpeed), this.slots.paceSlowdown(id, currentSpeed));
  }

  /**
   * Expected (median) wait for a free slot on a model for a request arriving now: the running attempts
   * hold the slots, each for its predicted time with its predicted spread, and those queued behind them
   * take their predicted service time each, first come first served; all of it stretched by `slowdown`.
   */
  expectedQueueWaitMs(provider: string, model: string, slots: number, slowdown = 1): number {
    return this.slots.expectedQueueWaitMs(
      modelKey(provider, model),
      slots,
      slowdown,
      this.options.clock.now(),
    );
  }

  started(attempt: PlannedAttempt, request: ChatRequest): AttemptProgress {
    const id = modelKey(attempt.provider.id, attempt.model);
    const now = this.options.clock.now();
    const progress = this.slots.start(attempt, id, this.plannedExpectations.get(attempt), now);
    this.breaker(attempt.provider.id).onAttempt(now);
    if (attempt.provider.locality === 'local') {
      // Sent to a model not in memory with nothing else on it, the prompt starts a fresh load: the caches
      // of before are gone, and the load is this request's. (Others in flight: the load under way is
      // theirs, and so is its cache.)
      const startsLoad =
        this.inFlightOf(attempt.provider.id, attempt.model) <= 1 &&
        !this.isLoaded(attempt.provider.id, attempt.model);
      if (startsLoad) this.loadStarters.set(id, attempt);
      const facts = this.facts.get(request);
      if (facts) {
        if (startsLoad) this.prefixCache.forget(id);
        this.prefixCache.remember(id, facts.chain);
      }
    }
    return progress;
  }

  finished(
    attempt: PlannedAttempt,
    request: ChatRequest,
    profile: CompletionProfile,
    answer: AttemptAnswer,
  ): void {
    const id = modelKey(attempt.provider.id, attempt.model);
    const now = this.options.clock.now();
    const running = this.slots.finish(attempt, id, now);
    this.slowdown.note(id, attempt, profile, running, this.plannedExpectations.get(attempt)?.speed);
    const breaker = this.breaker(attempt.provider.id);
    if (profile.outcome === 'ok') breaker.onSuccess();
    else if (countsAgainstUpstream(profile) && !abandonedInQueue(attempt, profile, running))
      breaker.onFailure(now);
    else breaker.onInconclusive();

    if (profile.costDollars) this.spend.add(profile.costDollars);
    const facts = this.facts.get(request);
    if (profile.outcome === 'ok' && facts && profile.completionTokens !== undefined) {
      this.outputLengths.record(facts.client, profile.completionTokens, answer.finishReason === 'length');
    }
    if (attempt.provider.locality !== 'local') return;
    if (this.loadStarters.get(id) === attempt) {
      this.loadStarters.delete(id);
      if (profile.outcome !== 'ok' && profile.timeToFirstTokenMs === undefined)
        this.loadsDroppedAt.set(id, now);
    }
    if (profile.outcome === 'ok') this.loadedUntil.set(id, now + (attempt.provider.residencyMs ?? 0));
    else this.prefixCache.forget(id);
    this.recordPredictionError(profile);
    // Only an answer says how well a model handles a kind of task. A failure before the first token
    // (engine down, stalled, model missing) is the breaker's and the latency model's business; counted
    // here, one outage would mark the model unreliable for the class, and it would no longer be tried.
    const answered = profile.outcome === 'ok' || profile.timeToFirstTokenMs !== undefined;
    if (facts && answered && profile.outcome !== 'client_aborted') {
      const verdict = judgeAnswer(
        { ...answer, maxTokensGiven: request.maxTokens !== undefined },
        request.tools,
      );
      this.outcomes.record(attempt.provider.id, attempt.model, facts.complexity, verdict, now);
    }
  }

  private recordPredictionError(profile: CompletionProfile): void {
    if (profile.outcome !== 'ok') return;
    const observe = (kind: string, predicted: number | undefined, actual: number | undefined) => {
      if (predicted === undefined || actual === undefined || actual <= 0) return;
      this.options.metrics.predictionError.observe({ kind }, Math.abs(predicted - actual) / actual);
    };
    observe('ttft', profile.predictedTtftMs, profile.timeToFirstTokenMs);
    observe('total', profile.predictedTotalMs, profile.durationMs);
  }

  private async pollLoadedModels(): Promise<void> {
    this.saveOutcomes();
    const now = this.options.clock.now();
    for (const provider of this.options.providers) {
      if (provider.locality !== 'local') continue;
      try {
        const health = await provider.health();
        if (health.status !== 'ready') continue;
        const loaded = new Set((health.loadedModels ?? []).map((model) => model.name));
        for (const name of loaded) {
          const id = modelKey(provider.id, name);
          this.loadedUntil.set(
            id,
            Math.max(this.loadedUntil.get(id) ?? 0, now + this.options.config.routing.poll_interval_ms * 2),
          );
        }
        // The engine is the authority: a model it no longer lists is not loaded, whatever keep_alive said.
        for (const id of this.loadedUntil.keys()) {
          if (id.startsWith(`${provider.id}\u0000`) && !loaded.has(id.slice(provider.id.length + 1))) {
            this.loadedUntil.delete(id);
            this.prefixCache.forget(id);
          }
        }
      } catch {
        // A down engine is the breaker's business; polling just tries again.
      }
    }
  }
}

/** How routing state names one model of one provider (prefix cache, slots, loaded models). */
export function modelKey(provider: string, model: string): string {
  return `${provider}\u0000${model}`;
}

/**
 * An attempt abandoned at its first-token deadline while it still queued behind other answers on the
 * engine: the engine is busy, not failing. The wait is the latency model's business; counted by the
 * breaker, a burst of long answers would shut a healthy engine out for a whole cool-down.
 */
function abandonedInQueue(
  attempt: PlannedAttempt,
  profile: CompletionProfile,
  running: RunningAttempt | undefined,
): boolean {
  // Only a local engine has slots switchyard models; a cloud attempt that timed out did fail.
  return (
    attempt.provider.locality === 'local' &&
    profile.outcome === 'deadline_exceeded' &&
    queuedThroughout(running)
  );
}

/** Upstream failures open the circuit; the client's own mistakes and cancellations do not. */
function countsAgainstUpstream(profile: CompletionProfile): boolean {
  if (profile.outcome === 'client_aborted') return false;
  return ![
    'invalid_request',
    'context_overflow',
    'model_not_found',
    'payload_too_large',
    'client_aborted',
  ].includes(profile.errorKind ?? '');
}
