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
import { PrefixCacheTracker, type PromptChain, promptChain } from '../routing/prefix-cache.js';
import type { AttemptAnswer, AttemptObserver, PlannedAttempt } from './attempt-runner.js';
import type { Clock } from './clock.js';

const dayMs = 86_400_000;

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
  private readonly outputTokensByClient = new Map<string, number>();
  private readonly facts = new WeakMap<ChatRequest, RequestRoutingFacts>();
  private spentDay = 0;
  private spentToday = 0;
  private pollTimer: NodeJS.Timeout | undefined;
  private savedVersion = 0;
  private readonly keepAliveMs: number;

  constructor(private readonly options: RoutingStateOptions) {
    this.outcomes = new OutcomeLearner(
      options.repository
        .loadLearnedOutcomes()
        .map((row) => ({ ...row, complexity: row.complexity as ComplexityClass })),
    );
    this.savedVersion = this.outcomes.version;
    this.keepAliveMs = parseKeepAlive(options.config.ollama.keep_alive);
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

  learnedOutputTokens(client: string): number | undefined {
    return this.outputTokensByClient.get(client);
  }

  started(attempt: PlannedAttempt, request: ChatRequest): void {
    const id = key(attempt.provider.id, attempt.model);
    this.inFlight.set(id, (this.inFlight.get(id) ?? 0) + 1);
    this.breaker(attempt.provider.id).onAttempt(this.options.clock.now());
    const facts = this.facts.get(request);
    if (facts && attempt.provider.locality === 'local') this.prefixCache.remember(id, facts.chain);
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
    const breaker = this.breaker(attempt.provider.id);
    if (profile.outcome === 'ok') breaker.onSuccess();
    else if (countsAgainstUpstream(profile)) breaker.onFailure(now);
    else breaker.onInconclusive();

    if (profile.costDollars) {
      this.rollDay();
      this.spentToday += profile.costDollars;
    }
    const facts = this.facts.get(request);
    if (profile.outcome === 'ok' && facts && profile.completionTokens !== undefined) {
      const learned = this.outputTokensByClient.get(facts.client);
      // Exponentially weighted: the typical answer length of this client, tracking change.
      this.outputTokensByClient.set(
        facts.client,
        learned === undefined ? profile.completionTokens : learned * 0.8 + profile.completionTokens * 0.2,
      );
    }
    if (attempt.provider.locality !== 'local') return;
    if (profile.outcome === 'ok') this.loadedUntil.set(id, now + this.keepAliveMs);
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

/** Ollama keep_alive: seconds as a number, or a Go duration ("5m", "1h30m"); negative = forever. */
export function parseKeepAlive(value: string | number): number {
  if (typeof value === 'number') return value < 0 ? Number.POSITIVE_INFINITY : value * 1000;
  if (/^-/.test(value)) return Number.POSITIVE_INFINITY;
  let total = 0;
  let matched = false;
  for (const match of value.matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g)) {
    matched = true;
    const amount = Number(match[1]);
    total +=
      amount * ({ ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const)[match[2] as 'ms' | 's' | 'm' | 'h'];
  }
  return matched ? total : Number(value) * 1000 || 300_000;
}

export { promptChain };
