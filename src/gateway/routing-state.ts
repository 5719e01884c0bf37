/**
 * @module gateway/routing-state
 * The live, mutable state routing decisions read, kept beside the pure decision code: requests in
 * flight per model, which local models are loaded, circuit breakers per upstream, prompts recently sent
 * (for the prefix-cache estimate), the day's cloud spend, typical output length per client, and learned
 * outcomes. It is fed by the attempt runner's observer hooks and by a poll of the local engines.
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
import { medianSlotWaitMs, type PlannedAnswer, slotHolderOf } from '../routing/slot-wait.js';
import type { AttemptAnswer, AttemptObserver, AttemptProgress, PlannedAttempt } from './attempt-runner.js';
import type { Clock } from './clock.js';

const dayMs = 86_400_000;
/** Weight of the newest answer in a client's answer-length statistics (half-life about 7 answers). */
const outputLengthWeight = 0.1;
/** Answers of a client before the spread of their lengths is trusted. */
const minimumAnswersForSpread = 5;

/** What routing predicted for an attempt it planned. */
export interface PlannedExpectation {
  /** Predicted time once it has a slot (the prediction without the queue wait). */
  serviceMs: number;
  /** Predicted first token once it has a slot (without the queue wait). */
  ttftServiceMs?: number;
  /** The speed the prediction assumed (any consistent measure; larger is faster). */
  speed?: number;
  /** Spread (log scale) of its predicted total time. */
  logSigma?: number;
  /** The answer's predicted length and pace, to tell from its progress when it will end. */
  answer?: PlannedAnswer;
}

interface RunningAttempt extends Partial<PlannedExpectation> {
  id: string;
  startedAt: number;
  /** Kept up to date by the attempt runner. */
  progress: AttemptProgress;
  /** When it got a slot on the engine (undefined while it queues). */
  servedSince?: number;
  /** Predicted total time from the attempt's start, queue wait included. */
  totalMs?: number;
}

/** Spread assumed for an attempt routing did not predict. */
const unknownAttemptLogSigma = 0.5;
/** Evidence of a slowdown is capped: it is a lower bound on a change, not a measurement. */
const maximumSlowdownEvidence = 10;
/**
 * Evidence of a slowdown lapses after this many times the abandoned attempt's own duration, completions
 * or not: while it holds, the model looks too slow for most requests, so none may come to clear it.
 */
const slowdownEvidenceLifetimes = 10;

interface OutputLengthStats {
  logMean: number;
  logVariance: number;
  count: number;
}

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
  readonly prefixCache = new PrefixCacheTracker();
  readonly outcomes: OutcomeLearner;
  private readonly inFlight = new Map<string, number>();
  private readonly loadedUntil = new Map<string, number>();
  private readonly breakers = new Map<string, CircuitBreaker>();
  private readonly outputTokensByClient = new Map<string, OutputLengthStats>();
  /** Attempts running now, in start order, with what routing expected of them. */
  private readonly running = new Map<PlannedAttempt, RunningAttempt>();
  /** What routing expected of the attempts it planned, until they start. */
  private readonly plannedExpectations = new WeakMap<PlannedAttempt, PlannedExpectation>();
  /** Per model: the slowdown shown by its latest abandoned attempt, and completions since. */
  private readonly abandonments = new Map<
    string,
    { factor: number; speed: number | undefined; completionsSince: number; expiresAt: number }
  >();
  private readonly facts = new WeakMap<ChatRequest, RequestRoutingFacts>();
  private spentDay = 0;
  private spentToday = 0;
  private pollTimer: NodeJS.Timeout | undefined;
  private savedVersion = 0;

  constructor(private readonly options: RoutingStateOptions) {
    this.outcomes = new OutcomeLearner(
      options.repository
        .loadLearnedOutcomes()
        .map((row) => ({ ...row, complexity: row.complexity as ComplexityClass })),
    );
    this.savedVersion = this.outcomes.version;
    const now = options.clock.now();
    this.spentDay = Math.floor(now / dayMs);
    this.spentToday = options.repository.sumCostSince(this.spentDay * dayMs);
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
    return this.inFlight.get(key(provider, model)) ?? 0;
  }

  isLoaded(provider: string, model: string): boolean {
    return (this.loadedUntil.get(key(provider, model)) ?? 0) > this.options.clock.now();
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
    this.rollDay();
    return this.spentToday;
  }

  /** The client's typical answer length (exponentially weighted geometric mean: the median of a log-normal). */
  learnedOutputTokens(client: string): number | undefined {
    const stats = this.outputTokensByClient.get(client);
    return stats === undefined ? undefined : Math.exp(stats.logMean);
  }

  /** The spread (log scale) of the client's answer lengths, once there are enough answers to say. */
  learnedOutputLogSigma(client: string): number | undefined {
    const stats = this.outputTokensByClient.get(client);
    return stats === undefined || stats.count < minimumAnswersForSpread
      ? undefined
      : Math.sqrt(stats.logVariance);
  }

  /** Routing notes what it expects of a planned attempt: its time once it has a slot, and the speed assumed. */
  planned(attempt: PlannedAttempt, expectation: PlannedExpectation): void {
    this.plannedExpectations.set(attempt, expectation);
  }

  /**
   * How much slower than predicted a model is running right now, from evidence that arrives before any
   * completion does: an attempt abandoned for want of a first token (it took at least its deadline ÷ its
   * predicted first token longer than predicted), until two completions of the model have come in (by
   * then the latency fit has seen the change, if there is one), or for ten times as long as the abandoned
   * attempt ran (see `slowdownEvidenceLifetimes`). 1 when there is no such evidence.
   * Attempts merely running long are no evidence: a long answer looks the same.
   */
  slowdownEvidence(provider: string, model: string, currentSpeed: number): number {
    const id = key(provider, model);
    const abandoned = this.abandonments.get(id);
    if (!abandoned) return 1;
    if (this.options.clock.now() >= abandoned.expiresAt) {
      this.abandonments.delete(id);
      return 1;
    }
    // Relative to the speed the prediction assumed: a fit that has since slowed down already knows.
    const factor =
      abandoned.speed === undefined || !(abandoned.speed > 0)
        ? abandoned.factor
        : (abandoned.factor * currentSpeed) / abandoned.speed;
    return Math.min(Math.max(1, factor), maximumSlowdownEvidence);
  }

  /**
   * Expected (median) wait for a free slot on a model for a request arriving now: the running attempts
   * hold the slots, each for its predicted time with its predicted spread, and those queued behind them
   * take their predicted service time each, first come first served; all of it stretched by `slowdown`.
   */
  expectedQueueWaitMs(provider: string, model: string, slots: number, slowdown = 1): number {
    const id = key(provider, model);
    const now = this.options.clock.now();
    const attempts = [...this.running.values()].filter((attempt) => attempt.id === id);
    if (attempts.length < slots) return 0;
    // Holders are timed from when they got their slot, against their predicted time without queueing,
    // or once they stream, by how far their answer has got. An attempt planned without a prediction (a
    // named model) is taken to be half done.
    const holders = attempts.slice(0, slots).map((attempt) => {
      const servedMs = now - (attempt.servedSince ?? attempt.startedAt);
      const { firstEventAt, pieces } = attempt.progress;
      return slotHolderOf({
        servedMs,
        serviceMs: attempt.serviceMs ?? attempt.totalMs ?? 2 * servedMs,
        logSigma: attempt.logSigma ?? unknownAttemptLogSigma,
        slowdown,
        ...(attempt.answer ? { answer: attempt.answer } : {}),
        ...(firstEventAt !== undefined
          ? { progress: { tokens: pieces, sinceFirstTokenMs: now - firstEventAt } }
          : {}),
      });
    });
    const queued = attempts
      .slice(slots)
      .map((attempt) => (attempt.serviceMs ?? now - attempt.startedAt) * slowdown);
    return medianSlotWaitMs(holders, queued, slots);
  }

  started(attempt: PlannedAttempt, request: ChatRequest): AttemptProgress {
    const id = key(attempt.provider.id, attempt.model);
    // The attempts already running on this model, started and not finished, are the ones ahead of it.
    const ahead = this.inFlight.get(id) ?? 0;
    this.inFlight.set(id, ahead + 1);
    const expectation = this.plannedExpectations.get(attempt);
    const now = this.options.clock.now();
    // With a free slot the engine starts it at once; otherwise it queues until an earlier one finishes.
    const progress: AttemptProgress = { pieces: 0 };
    this.running.set(attempt, {
      id,
      startedAt: now,
      progress,
      ...(ahead < this.options.config.routing.local_parallel_slots ? { servedSince: now } : {}),
      ...(attempt.predictedTotalMs !== undefined ? { totalMs: attempt.predictedTotalMs } : {}),
      ...expectation,
    });
    this.breaker(attempt.provider.id).onAttempt(now);
    const facts = this.facts.get(request);
    if (facts && attempt.provider.locality === 'local') this.prefixCache.remember(id, facts.chain);
    return progress;
  }

  finished(
    attempt: PlannedAttempt,
    request: ChatRequest,
    profile: CompletionProfile,
    answer: AttemptAnswer,
  ): void {
    const id = key(attempt.provider.id, attempt.model);
    this.inFlight.set(id, Math.max(0, (this.inFlight.get(id) ?? 1) - 1));
    const now = this.options.clock.now();
    const running = this.running.get(attempt);
    if (this.running.delete(attempt)) this.promoteQueued(id, now);
    this.noteSlowdownEvidence(id, attempt, profile, running);
    const breaker = this.breaker(attempt.provider.id);
    if (profile.outcome === 'ok') breaker.onSuccess();
    else if (countsAgainstUpstream(profile) && !abandonedInQueue(profile, running)) breaker.onFailure(now);
    else breaker.onInconclusive();

    if (profile.costDollars) {
      this.rollDay();
      this.spentToday += profile.costDollars;
    }
    const facts = this.facts.get(request);
    if (profile.outcome === 'ok' && facts && profile.completionTokens !== undefined) {
      // Exponentially weighted, on the log scale (answer lengths are skewed): the typical length of this
      // client's answers and how much they vary, tracking change.
      const value = Math.log(Math.max(1, profile.completionTokens));
      const stats = this.outputTokensByClient.get(facts.client);
      if (stats === undefined) {
        this.outputTokensByClient.set(facts.client, { logMean: value, logVariance: 0, count: 1 });
      } else {
        const delta = value - stats.logMean;
        stats.logMean += outputLengthWeight * delta;
        stats.logVariance =
          (1 - outputLengthWeight) * (stats.logVariance + outputLengthWeight * delta * delta);
        stats.count += 1;
      }
    }
    if (attempt.provider.locality !== 'local') return;
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

  /** A slot freed up: the oldest attempts of the model (first come, first served) now hold the slots. */
  private promoteQueued(id: string, now: number): void {
    let held = 0;
    for (const attempt of this.running.values()) {
      if (attempt.id !== id) continue;
      if (held >= this.options.config.routing.local_parallel_slots) break;
      attempt.servedSince ??= now;
      held += 1;
    }
  }

  /**
   * A local attempt abandoned for want of a first token took at least its time on a slot ÷ its predicted
   * first token on a slot longer than predicted. That evidence holds until two completions of the model
   * have come in (by then the latency fit has seen the change, if there is one).
   * Only the time it held a slot counts: an attempt that spent its deadline queued behind long answers
   * shows how long those ran, not how fast the engine is (taken for a slowdown, such a stall made a model
   * that had just been learned right look three times slower again for the next twenty requests).
   */
  private noteSlowdownEvidence(
    id: string,
    attempt: PlannedAttempt,
    profile: CompletionProfile,
    running: RunningAttempt | undefined,
  ): void {
    if (attempt.provider.locality !== 'local') return;
    const now = this.options.clock.now();
    const held = this.abandonments.get(id);
    const abandoned = held && now < held.expiresAt ? held : undefined;
    if (profile.outcome === 'deadline_exceeded' && attempt.predictedTtftMs) {
      if (running && running.servedSince === undefined) return;
      const servedMs = running?.servedSince !== undefined ? now - running.servedSince : profile.durationMs;
      const factor = servedMs / (running?.ttftServiceMs ?? attempt.predictedTtftMs);
      const speed = this.plannedExpectations.get(attempt)?.speed;
      if (factor > 1 && factor >= (abandoned?.factor ?? 1)) {
        const expiresAt = now + slowdownEvidenceLifetimes * profile.durationMs;
        this.abandonments.set(id, { factor, speed, completionsSince: 0, expiresAt });
      }
    } else if (profile.outcome === 'ok' && abandoned) {
      abandoned.completionsSince += 1;
      if (abandoned.completionsSince >= 2) this.abandonments.delete(id);
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

  private rollDay(): void {
    const day = Math.floor(this.options.clock.now() / dayMs);
    if (day !== this.spentDay) {
      this.spentDay = day;
      this.spentToday = 0;
    }
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
          const id = key(provider.id, name);
          this.loadedUntil.set(
            id,
            Math.max(this.loadedUntil.get(id) ?? 0, now + this.options.config.routing.poll_interval_ms * 2),
          );
        }
        // The engine is the authority: a model it no longer lists is not loaded, whatever keep_alive said.
        for (const id of this.loadedUntil.keys()) {
          if (id.startsWith(`${provider.id}\u0000`) && !loaded.has(id.slice(provider.id.length + 1))) {
            this.loadedUntil.delete(id);
          }
        }
      } catch {
        // A down engine is the breaker's business; polling just tries again.
      }
    }
  }
}

function key(provider: string, model: string): string {
  return `${provider}\u0000${model}`;
}

/** Upstream failures open the circuit; the client's own mistakes and cancellations do not. */
/**
 * An attempt abandoned at its first-token deadline while it still queued behind other answers on the
 * engine: the engine is busy, not failing. The wait is the latency model's business; counted by the
 * breaker, a burst of long answers would shut a healthy engine out for a whole cool-down.
 */
function abandonedInQueue(profile: CompletionProfile, running: RunningAttempt | undefined): boolean {
  return (
    profile.outcome === 'deadline_exceeded' && running !== undefined && running.servedSince === undefined
  );
}

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
