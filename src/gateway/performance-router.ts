/**
 * @module gateway/performance-router
 * The `auto` router: gathers what routing needs (candidates, fitted latency models, live state, the
 * request's headers) and calls the pure `decide()`. The only routing code that does I/O: it asks the
 * adapters for their models and context lengths, both cached by the adapters.
 */
import type { Config } from '../config/schema.js';
import { GatewayError, invalidRequest } from '../errors.js';
import type { ChatRequest } from '../openai/chat-request.js';
import { measureRequest } from '../openai/request-size.js';
import type { ModelStatsStore } from '../profiler/model-stats.js';
import type { ProviderAdapter } from '../providers/provider.js';
import {
  type CloudCandidate,
  type Decision,
  decide,
  type LocalCandidate,
  type PredictedTimes,
  type RequestOverrides,
  type RoutingPolicy,
} from '../routing/decide.js';
import { extractFeatures, type RequestFeatures } from '../routing/features.js';
import {
  defaultFitOptions,
  type FittedLatencyModel,
  fitLatencyModel,
  slowedLatencyModel,
} from '../routing/latency-model.js';
import { normalQuantile } from '../routing/normal-distribution.js';
import { promptChain } from '../routing/prefix-cache.js';
import type { PlannedAnswer } from '../routing/slot-wait.js';
import type { PlannedAttempt } from './attempt-runner.js';
import type { Clock } from './clock.js';
import { LoadProbes } from './load-probes.js';
import type { ModelCatalog, ResolvedModel } from './model-catalog.js';
import type { AutoRouter, Plan } from './plan.js';
import { modelKey, type RoutingState } from './routing-state.js';

export interface PerformanceRouterOptions {
  config: Config;
  stats: ModelStatsStore;
  state: RoutingState;
  clock: Clock;
  random: () => number;
}

/** A load recorded this many times its learned duration ago is not trusted to be the one under way. */
const staleLoadFactor = 3;

/** Cloud priors until a model has completions: typical hosted-API first token and output rate. */
const cloudPriors = { ttftMs: 900, outputTokensPerSecond: 70 };

export interface RoutingExplanation {
  decision: Decision;
  features: Omit<RequestFeatures, 'text'>;
}

export function createPerformanceRouter(options: PerformanceRouterOptions): AutoRouter & {
  explain(input: Parameters<AutoRouter>[0]): Promise<RoutingExplanation>;
} {
  const { config, stats, state, clock } = options;
  const routing = config.routing;
  const policyBase: RoutingPolicy = {
    ...routing,
    privacyPatterns: routing.privacy.patterns.map((pattern) => new RegExp(pattern, 'i')),
  };
  const fitted = new Map<string, { version: number; model: FittedLatencyModel }>();

  function latencyModelOf(
    provider: string,
    model: string,
    sizeBytes: number | undefined,
  ): FittedLatencyModel {
    const snapshot = stats.get(provider, model);
    const id = `${provider}/${model}`;
    const cached = fitted.get(id);
    if (cached && cached.version === (snapshot?.version ?? 0)) return cached.model;
    // Cold starts older than the window still tell the load time (the store keeps their running mean).
    const coldLoadMs = snapshot && snapshot.loadMs.count > 0 ? snapshot.loadMs.ewMean : undefined;
    const fit = fitLatencyModel(snapshot?.recent ?? [], sizeBytes, defaultFitOptions, coldLoadMs);
    fitted.set(id, { version: snapshot?.version ?? 0, model: fit });
    return fit;
  }

  /** The slowdown evidence a candidate's latency model already includes (none: 1). */
  const slowdownApplied = new WeakMap<LocalCandidate, number>();
  /**
   * Per local model (provider and model key): when routing sent a request to it while it was not in
   * memory, i.e. when the engine began loading it. Until the model is known to be loaded, a request
   * arriving while that request is still in flight waits for the rest of the same load, not for a load
   * of its own. Only the router writes it (explain() reads the same state and leaves it as it was).
   */
  const loadsUnderWay = new Map<string, number>();
  const loadProbes = new LoadProbes();

  /**
   * How long the load begun for a request in flight has been running (undefined: none is). A record far
   * older than the model's learned load time is not trusted: requests routing did not see (a named
   * model) may have unloaded and reloaded it since. When the request that started the load went away
   * before its first token, the engine dropped that load, and those still waiting began another then.
   */
  function loadingForMs(
    id: string,
    candidate: { loaded: boolean; inFlight: number; learnedLoadMs: number; droppedAt: number | undefined },
    now: number,
  ): number | undefined {
    const recorded = loadsUnderWay.get(id);
    if (recorded === undefined || candidate.loaded || candidate.inFlight === 0) return undefined;
    const since = Math.max(recorded, candidate.droppedAt ?? recorded);
    const elapsed = Math.max(0, now - since);
    return elapsed <= staleLoadFactor * candidate.learnedLoadMs ? elapsed : undefined;
  }

  async function localCandidates(
    catalog: ModelCatalog,
    features: RequestFeatures,
    request: ChatRequest,
    signal: AbortSignal,
    unreachable: GatewayError[],
  ): Promise<LocalCandidate[]> {
    const now = clock.now();
    const chain = chainOf(request);
    const candidates: LocalCandidate[] = [];
    for (const provider of catalog.localProviders) {
      let models: Array<{ name: string; sizeBytes?: number }>;
      try {
        models = await provider.listModels(signal);
      } catch (error) {
        if (error instanceof GatewayError) unreachable.push(error);
        continue;
      }
      for (const model of orderByPreference(provider, models, routing.local_models)) {
        const id = modelKey(provider.id, model.name);
        // An abandoned attempt can say the model slowed down before any slow completion does.
        const fitted = latencyModelOf(provider.id, model.name, model.sizeBytes);
        const slowdown = state.slowdownEvidence(provider.id, model.name, speedOf(fitted));
        const loaded = state.isLoaded(provider.id, model.name);
        const inFlight = state.inFlightOf(provider.id, model.name);
        const droppedAt = state.loadDroppedAt(provider.id, model.name);
        const loading = loadingForMs(
          id,
          { loaded, inFlight, learnedLoadMs: fitted.loadMs ?? 0, droppedAt },
          now,
        );
        const candidate: LocalCandidate = {
          provider: provider.id,
          model: model.name,
          latency: slowdown > 1 ? slowedLatencyModel(fitted, slowdown) : fitted,
          loaded,
          ...(loading !== undefined ? { loadingForMs: loading } : {}),
          inFlight,
          parallelSlots: routing.local_parallel_slots,
          queueWaitMs: state.expectedQueueWaitMs(
            provider.id,
            model.name,
            routing.local_parallel_slots,
            slowdown,
          ),
          contextLength: await contextLengthOf(provider, model.name, signal),
          // A model being loaded (or not in memory) has an empty prompt cache: the engine frees it on unload.
          expectedCachedTokens: loaded ? state.prefixCache.expectedCachedTokens(id, chain) : 0,
          available: state.breaker(provider.id).allows(now),
          successRate: state.outcomes.successRate(provider.id, model.name, features.complexity, now),
          ...optional('loadProbedForMs', loadProbes.before(id, { latency: fitted }, now)),
        };
        if (slowdown > 1) slowdownApplied.set(candidate, slowdown);
        candidates.push(candidate);
      }
    }
    return candidates;
  }

  async function cloudCandidates(catalog: ModelCatalog, signal: AbortSignal): Promise<CloudCandidate[]> {
    const now = clock.now();
    const wanted = routing.cloud_models;
    const candidates: CloudCandidate[] = [];
    const add = (provider: ProviderAdapter, model: string, contextLength: number | undefined) => {
      const snapshot = stats.get(provider.id, model);
      const ttft = snapshot && snapshot.ttftMs.count > 0 ? snapshot.ttftMs.ewMean : cloudPriors.ttftMs;
      candidates.push({
        provider: provider.id,
        model,
        available: provider.disabledReason === undefined && state.breaker(provider.id).allows(now),
        contextLength,
        typicalTtftMs: ttft,
        typicalOutputTokensPerSecond: cloudOutputRate(snapshot?.recent) ?? cloudPriors.outputTokensPerSecond,
      });
    };
    if (wanted.length > 0) {
      for (const id of wanted) {
        const slash = id.indexOf('/');
        const provider = catalog.provider(id.slice(0, slash));
        if (provider && provider.locality === 'cloud') add(provider, id.slice(slash + 1), undefined);
      }
      return candidates;
    }
    for (const provider of catalog.cloudProviders) {
      if (provider.disabledReason !== undefined) continue;
      for (const model of await provider.listModels(signal)) add(provider, model.name, model.contextLength);
    }
    return candidates;
  }

  async function decideFor(input: Parameters<AutoRouter>[0]): Promise<{
    decision: Decision;
    features: RequestFeatures;
    unreachable: GatewayError[];
    local: LocalCandidate[];
    client: string;
  }> {
    const { request, headers, resolved, catalog, signal } = input;
    const client = clientOf(headers);
    const features = extractFeatures({
      request,
      size: measureRequest(request),
      ...optional('learnedOutputTokens', state.learnedOutputTokens(client)),
      ...optional('learnedOutputLogSigma', state.learnedOutputLogSigma(client)),
    });
    const overrides = readOverrides(headers, routing.privacy.header);
    const policy = policyFor(policyBase, resolved);
    const unreachable: GatewayError[] = [];
    const [local, cloud] = await Promise.all([
      localCandidates(catalog, features, request, signal, unreachable),
      cloudCandidates(catalog, signal),
    ]);
    const decision = decide({
      features,
      local,
      cloud,
      policy,
      overrides,
      spentTodayDollars: state.spentTodayDollars(),
      now: clock.now(),
      random: options.random,
    });
    state.describeRequest(request, { complexity: features.complexity, client, chain: chainOf(request) });
    return { decision, features, unreachable, local, client };
  }

  const router = async (input: Parameters<AutoRouter>[0]): Promise<Plan> => {
    const { decision, features, unreachable, local, client } = await decideFor(input);
    if (decision.attempts.length === 0) {
      // Say what is actually wrong (Ollama is down) rather than only that no route exists.
      if (unreachable[0]) throw unreachable[0];
      // What each unusable provider needs comes from the adapters themselves (a missing key, a variable).
      const fixes = input.catalog.providers.flatMap((provider) => provider.disabledReason ?? []);
      throw new GatewayError(
        'provider_disabled',
        `No model can take this request: ${decision.sentence} ${fixes.length > 0 ? `${fixes.join('; ')}. ` : ''}GET /health shows what each provider needs.`,
        { code: 'no_route' },
      );
    }
    // Records of loads that no longer apply (the model is in memory, nothing is in flight, or too old).
    for (const candidate of local) {
      const id = modelKey(candidate.provider, candidate.model);
      if (candidate.loadingForMs === undefined) loadsUnderWay.delete(id);
      if (candidate.loaded) loadProbes.seenLoaded(id);
    }
    /** The local candidate a local attempt was decided from. */
    const candidateOf = (attempt: { provider: string; model: string; locality: string }) =>
      attempt.locality === 'local'
        ? local.find((entry) => entry.provider === attempt.provider && entry.model === attempt.model)
        : undefined;
    // A first attempt on a local model not in memory starts the engine loading it now.
    const firstLocal = decision.attempts[0] && candidateOf(decision.attempts[0]);
    if (firstLocal && !firstLocal.loaded && firstLocal.loadingForMs === undefined) {
      loadsUnderWay.set(modelKey(firstLocal.provider, firstLocal.model), clock.now());
    }
    if (firstLocal)
      loadProbes.decided(modelKey(firstLocal.provider, firstLocal.model), decision, firstLocal, clock.now());
    return {
      attempts: decision.attempts.map((attempt) => {
        const provider = input.catalog.provider(attempt.provider)!;
        const candidate = candidateOf(attempt);
        const planned: PlannedAttempt = {
          provider,
          model: attempt.model,
          ...optional('firstTokenDeadlineMs', attempt.firstTokenDeadlineMs),
          ...optional('firstTokenByMs', attempt.firstTokenByMs),
          ...optional('firstTokenNeededMs', attempt.firstTokenNeededMs),
          ...optional('predictedTtftMs', attempt.predicted?.ttftMs),
          ...optional('predictedTotalMs', attempt.predicted?.totalMs),
          // The cache hit the prediction assumed, recorded with the attempt's profile for calibration.
          ...(candidate ? { expectedCachedTokens: candidate.expectedCachedTokens } : {}),
        };
        // What this attempt should take once it has a slot: later requests' queue-wait estimates read it.
        if (candidate && attempt.predicted) {
          state.planned(planned, {
            serviceMs: attempt.predicted.totalMs - (attempt.predicted.queueMs ?? 0),
            ttftServiceMs: attempt.predicted.ttftMs - (attempt.predicted.queueMs ?? 0),
            logSigma:
              Math.log(attempt.predicted.totalHighMs / attempt.predicted.totalMs) / normalQuantile(0.9),
            speed: speedOf(candidate.latency),
            ...optional('slowdown', slowdownApplied.get(candidate)),
            ...optional('answer', plannedAnswer(attempt.predicted, features, client)),
          });
        }
        return planned;
      }),
      routed: true,
      reason: decision.reason,
      sentence: decision.sentence,
      complexity: decision.complexity,
    };
  };

  /** The answer's length and pace the prediction assumed, for telling later when it will end. */
  function plannedAnswer(
    predicted: PredictedTimes,
    features: RequestFeatures,
    client: string,
  ): PlannedAnswer | undefined {
    const { decodeMs, outputTokens } = predicted;
    if (decodeMs === undefined || outputTokens === undefined || !(outputTokens > 0)) return undefined;
    return {
      expectedTokens: outputTokens,
      msPerToken: decodeMs / outputTokens,
      ...optional('lengthLogSigma', features.outputLogSigma),
      ...optional('maxTokens', features.maxTokens),
      ...optional('recentLengths', state.recentOutputLengths(client)),
    };
  }

  return Object.assign(router, {
    async explain(input: Parameters<AutoRouter>[0]): Promise<RoutingExplanation> {
      const { decision, features } = await decideFor(input);
      const { text: _text, ...visible } = features;
      return { decision, features: visible };
    },
  });
}

/** One number for how fast a fitted model is: the geometric mean of its prefill and decode rates. */
function speedOf(model: FittedLatencyModel): number {
  return Math.sqrt(model.prefillRate0 * model.decodeRate0);
}

function optional<K extends string, V>(name: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [name]: value }) as { [P in K]?: V };
}

const chains = new WeakMap<ChatRequest, ReturnType<typeof promptChain>>();

function chainOf(request: ChatRequest) {
  let chain = chains.get(request);
  if (!chain) {
    chain = promptChain(
      request.messages.map((message) => ({
        role: message.role,
        text:
          message.role === 'user'
            ? message.content.map((part) => (part.type === 'text' ? part.text : '[image]')).join('')
            : message.content,
      })),
    );
    chains.set(request, chain);
  }
  return chain;
}

/** The configured order; else the adapter's own order (which puts a configured default model first). */
function orderByPreference(
  provider: ProviderAdapter,
  models: Array<{ name: string; sizeBytes?: number }>,
  preference: readonly string[],
): Array<{ name: string; sizeBytes?: number }> {
  if (preference.length === 0) return models;
  const ordered: Array<{ name: string; sizeBytes?: number }> = [];
  for (const wanted of preference) {
    const name = wanted.startsWith(`${provider.id}/`) ? wanted.slice(provider.id.length + 1) : wanted;
    const model = models.find((candidate) => candidate.name === name);
    if (model) ordered.push(model);
  }
  return ordered;
}

async function contextLengthOf(provider: ProviderAdapter, model: string, signal: AbortSignal) {
  try {
    return await provider.contextLengthOf?.(model, signal);
  } catch {
    return undefined;
  }
}

function cloudOutputRate(
  recent:
    | ReadonlyArray<{ outcome: string; completionTokens: number; durationMs: number; ttftMs?: number }>
    | undefined,
) {
  if (!recent) return undefined;
  let tokens = 0;
  let seconds = 0;
  for (const observation of recent.slice(-20)) {
    if (observation.outcome !== 'ok' || observation.ttftMs === undefined) continue;
    const streaming = observation.durationMs - observation.ttftMs;
    if (streaming <= 0 || observation.completionTokens < 5) continue;
    tokens += observation.completionTokens;
    seconds += streaming / 1000;
  }
  return seconds > 0 ? tokens / seconds : undefined;
}

/** Who is asking, for learning typical output length: the client's product token from its user agent. */
function clientOf(headers: Headers): string {
  const agent = headers.get('user-agent') ?? 'unknown';
  return agent.split(/[\s/]/, 1)[0] || 'unknown';
}

function readOverrides(headers: Headers, privacyHeader: string): RequestOverrides {
  const overrides: RequestOverrides = {};
  const route = headers.get('x-switchyard-route');
  if (route !== null) {
    if (route !== 'local' && route !== 'cloud' && route !== 'auto') {
      throw invalidRequest(
        `x-switchyard-route must be local, cloud or auto, not "${route}".`,
        'x-switchyard-route',
        'invalid_header',
      );
    }
    overrides.route = route;
  }
  const deadline = headers.get('x-switchyard-deadline-ms');
  if (deadline !== null) {
    const value = Number(deadline);
    if (!Number.isFinite(value) || value <= 0) {
      throw invalidRequest(
        `x-switchyard-deadline-ms must be a positive number of milliseconds, not "${deadline}".`,
        'x-switchyard-deadline-ms',
        'invalid_header',
      );
    }
    overrides.deadlineMs = value;
  }
  const privacy = headers.get(privacyHeader);
  if (privacy !== null && privacy !== '0' && privacy.toLowerCase() !== 'false') overrides.private = true;
  return overrides;
}

function policyFor(base: RoutingPolicy, resolved: Extract<ResolvedModel, { kind: 'auto' }>): RoutingPolicy {
  const alias = resolved.aliasSettings;
  if (!alias) return base;
  return {
    ...base,
    ...(alias.ttft_deadline_ms !== undefined ? { ttft_deadline_ms: alias.ttft_deadline_ms } : {}),
    ...(alias.total_deadline_ms !== undefined ? { total_deadline_ms: alias.total_deadline_ms } : {}),
    ...(alias.local_only ? { local_only: true } : {}),
  };
}
