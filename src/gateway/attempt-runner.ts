/**
 * @module gateway/attempt-runner
 * Runs a request's planned attempts in order until one produces its first event. Until then nothing has
 * reached the client, so a failed attempt can be retried (429/5xx, with backoff) or abandoned for the
 * next one (escalation) without the client ever seeing it. Once an attempt has produced its first
 * event it is committed: a later failure surfaces to the client as an error, never as a silent switch.
 * Every try, failed or not, is profiled.
 */
import type { Config } from '../config/schema.js';
import { asGatewayError, GatewayError, isAbortError } from '../errors.js';
import type { Metrics } from '../metrics/metrics.js';
import type { ChatRequest } from '../openai/chat-request.js';
import type { RequestSize } from '../openai/request-size.js';
import type { CompletionOutcome, CompletionProfile } from '../profiler/completion-profile.js';
import { coldStartThresholdNs } from '../profiler/completion-profile.js';
import type { ChatEvent, EngineTimings, ProviderAdapter, Usage } from '../providers/provider.js';
import type { Clock } from './clock.js';

/** One step of a plan: which provider and model, and how long it may take to produce its first token. */
export interface PlannedAttempt {
  provider: ProviderAdapter;
  model: string;
  /** Abandon this attempt (and escalate) if no first event arrives within this many ms. */
  firstTokenDeadlineMs?: number;
  /** Routing's prediction for this attempt, stored with its profile row. */
  predictedTtftMs?: number;
  predictedTotalMs?: number;
  /** Prompt tokens routing expected the engine's prefix cache to hold, stored for calibration. */
  expectedCachedTokens?: number;
}

/** Routing context stored with each profile row of the request. */
export interface DecisionRecord {
  reason?: string;
  complexity?: string;
}

/** What an attempt's answer looked like, for learning from outcomes. */
export interface AttemptAnswer {
  failed: boolean;
  finishReason: string | undefined;
  textCharacters: number;
  toolCalls: ReadonlyArray<{ name: string; arguments: string }>;
}

/** Hooks for live routing state: in-flight counts, breakers, prefix caches, outcome learning. */
/**
 * How far a running attempt's answer has got. An observer that returns one from `started` gets it kept
 * up to date: routing reads it to tell how soon the answer will free its slot.
 */
export interface AttemptProgress {
  /** `clock.now()` when its first event arrived. */
  firstEventAt?: number;
  /** Text, reasoning and tool-argument pieces so far: about one token each on Ollama's stream. */
  pieces: number;
}

export interface AttemptObserver {
  started(attempt: PlannedAttempt, request: ChatRequest): AttemptProgress | undefined;
  finished(
    attempt: PlannedAttempt,
    request: ChatRequest,
    profile: CompletionProfile,
    answer: AttemptAnswer,
  ): void;
}

export interface AttemptRunnerDeps {
  clock: Clock;
  random: () => number;
  metrics: Metrics;
  retry: Config['retry'];
  record: (profile: CompletionProfile) => void;
  observer?: AttemptObserver;
}

export interface RequestContext {
  requestId: string;
  /** Aborts when the client goes away. */
  signal: AbortSignal;
  size: RequestSize;
  decision?: DecisionRecord;
}

/** The attempt that answered, with its event stream (first event included). */
export interface StartedAttempt {
  attempt: PlannedAttempt;
  /** Attempts abandoned before this one, in order. */
  escalatedFrom: PlannedAttempt[];
  events: AsyncGenerator<ChatEvent>;
  /** Milliseconds spent waiting on upstreams so far (all tries, backoffs included): not switchyard's overhead. */
  upstreamWaitMs(): number;
  /** Time to the first event of the winning attempt. */
  timeToFirstTokenMs: number;
  /** Abandons the answer (client gone): stops the upstream and records the attempt, even if `events` was never read. */
  cancel(): void;
}

export async function startAttempts(
  deps: AttemptRunnerDeps,
  plan: readonly PlannedAttempt[],
  request: ChatRequest,
  context: RequestContext,
): Promise<StartedAttempt> {
  if (plan.length === 0) {
    throw new GatewayError(
      'internal',
      'No upstream could be chosen for this request; check the routing policy.',
    );
  }
  const escalatedFrom: PlannedAttempt[] = [];
  let upstreamWaitMs = 0;
  let tryIndex = 0;
  let lastError: GatewayError | undefined;

  for (const [attemptIndex, attempt] of plan.entries()) {
    for (let retry = 0; ; retry++) {
      const tryStarted = deps.clock.monotonic();
      const outcome = await tryAttempt(deps, attempt, request, context, {
        tryIndex: tryIndex++,
        escalatedFrom,
        onSettled: (ms) => {
          upstreamWaitMs += ms;
        },
      });
      if (outcome.started) {
        return {
          attempt,
          escalatedFrom,
          events: outcome.events,
          upstreamWaitMs: () => upstreamWaitMs + outcome.pendingMs(),
          timeToFirstTokenMs: outcome.timeToFirstTokenMs,
          cancel: outcome.cancel,
        };
      }
      upstreamWaitMs += deps.clock.monotonic() - tryStarted;
      const error = outcome.error;
      lastError = error;
      if (error.kind === 'client_aborted' || context.signal.aborted) throw error;
      const delay = retryDelay(deps, error, retry);
      if (delay === undefined) break;
      deps.metrics.retries.inc({ provider: attempt.provider.id, model: attempt.model, kind: error.kind });
      const sleepStarted = deps.clock.monotonic();
      try {
        await deps.clock.sleep(delay, context.signal);
      } catch (thrown) {
        // The sleep rejects with the signal's reason, which Node's server sets to a plain string.
        throw classify(thrown, context.signal);
      }
      upstreamWaitMs += deps.clock.monotonic() - sleepStarted;
    }
    if (attemptIndex < plan.length - 1) escalatedFrom.push(attempt);
  }
  throw lastError ?? new GatewayError('internal', 'No attempt was made.');
}

/** Backoff before retrying the same attempt, or undefined when it should not be retried. */
function retryDelay(deps: AttemptRunnerDeps, error: GatewayError, retry: number): number | undefined {
  // Only failures before the first event get here: a stream that broke that early sent the client
  // nothing, so it is as safe to retry as a 5xx, although the same kind after the first event is not.
  const retryable = error.retryable || error.kind === 'stream_interrupted';
  if (!retryable || retry >= deps.retry.max_retries) return undefined;
  if (error.retryAfterSeconds !== undefined) {
    const asked = error.retryAfterSeconds * 1000;
    // An upstream that asks for a longer wait than we allow is better escalated than waited on.
    return asked <= deps.retry.max_delay_ms ? asked : undefined;
  }
  const exponential = Math.min(deps.retry.max_delay_ms, deps.retry.base_delay_ms * 2 ** retry);
  return exponential * (0.5 + deps.random() * 0.5);
}

type TryOutcome =
  | {
      started: true;
      events: AsyncGenerator<ChatEvent>;
      timeToFirstTokenMs: number;
      pendingMs: () => number;
      cancel: () => void;
    }
  | { started: false; error: GatewayError };

interface TryOptions {
  tryIndex: number;
  escalatedFrom: readonly PlannedAttempt[];
  onSettled: (upstreamMs: number) => void;
}

async function tryAttempt(
  deps: AttemptRunnerDeps,
  attempt: PlannedAttempt,
  request: ChatRequest,
  context: RequestContext,
  options: TryOptions,
): Promise<TryOutcome> {
  const controller = new AbortController();
  const onClientAbort = () => controller.abort(context.signal.reason);
  if (context.signal.aborted) onClientAbort();
  else context.signal.addEventListener('abort', onClientAbort, { once: true });

  const startedAt = deps.clock.now();
  const started = deps.clock.monotonic();
  const profile = baseProfile(attempt, request, context, startedAt, options);
  let textCharacters = 0;
  const toolCalls: Array<{ name: string; arguments: string }> = [];
  const finish = (outcome: CompletionOutcome, details: Partial<CompletionProfile>) => {
    context.signal.removeEventListener('abort', onClientAbort);
    // Object.assign into a fresh object, not `{ ...profile, outcome, durationMs, ...details }`: V8 builds
    // that spread, fields, spread literal of ~30 fields on a slow path (57 µs vs 0.7 µs in a micro-benchmark;
    // in the server's CPU profile this line fell from ~17 to ~5 µs per request).
    const finished: CompletionProfile = Object.assign(
      {},
      profile,
      { outcome, durationMs: deps.clock.monotonic() - started },
      details,
    );
    const bookkeeping = () => {
      deps.record(finished);
      deps.observer?.finished(attempt, request, finished, {
        failed: outcome !== 'ok',
        finishReason: finished.finishReason,
        textCharacters,
        toolCalls,
      });
    };
    // A successful answer is recorded right after the response has gone out (the next turn of the event
    // loop), not before its last bytes: the client does not wait for the profile row, statistics and
    // routing state. Failures are recorded at once, so a following attempt already sees them.
    if (outcome === 'ok') {
      setImmediate(() => {
        // Off the request now: an exception here would end the process, not fail a request.
        try {
          bookkeeping();
        } catch {
          // The profiler guards its own recording; the observer's state is best effort.
        }
      });
    } else {
      bookkeeping();
    }
  };
  const progress = deps.observer?.started(attempt, request);

  let iterator: AsyncIterator<ChatEvent>;
  try {
    iterator = attempt.provider
      .chat(request, { model: attempt.model, signal: controller.signal, requestId: context.requestId })
      [Symbol.asyncIterator]();
  } catch (thrown) {
    // An adapter that throws before returning its stream still gets a profile row and a finished() call.
    const error = classify(thrown, context.signal);
    finish(outcomeOf(error), { errorKind: error.kind, errorMessage: error.message });
    return { started: false, error };
  }

  let deadlineHit = false;
  let timer: NodeJS.Timeout | undefined;
  // Raced against the first event rather than relying on the adapter to honour its abort signal, so a
  // stalled upstream can never hold the request past the deadline.
  const deadline = new Promise<never>((_, reject) => {
    if (attempt.firstTokenDeadlineMs === undefined) return;
    timer = setTimeout(() => {
      deadlineHit = true;
      controller.abort(new Error('first-token deadline'));
      reject(new Error('first-token deadline'));
    }, attempt.firstTokenDeadlineMs);
  });

  let first: IteratorResult<ChatEvent>;
  const firstEvent = iterator.next();
  try {
    first = await Promise.race([firstEvent, deadline]);
  } catch (thrown) {
    clearTimeout(timer);
    if (deadlineHit) {
      // The abandoned first read settles later (usually as an abort): nobody waits for it any more.
      firstEvent.catch(() => undefined);
      iterator.return?.(undefined)?.catch(() => undefined);
    }
    const error = deadlineHit
      ? new GatewayError(
          'timeout',
          `\`${attempt.provider.id}/${attempt.model}\` produced no first token within ${attempt.firstTokenDeadlineMs} ms.`,
          { provider: attempt.provider.id },
        )
      : classify(thrown, context.signal);
    finish(deadlineHit ? 'deadline_exceeded' : outcomeOf(error), {
      errorKind: error.kind,
      errorMessage: error.message,
    });
    return { started: false, error };
  }
  clearTimeout(timer);
  const timeToFirstTokenMs = deps.clock.monotonic() - started;
  if (progress) progress.firstEventAt = deps.clock.now();
  if (first.done) {
    const error = new GatewayError(
      'stream_interrupted',
      `\`${attempt.provider.id}/${attempt.model}\` ended its answer without any event — retry the request.`,
      { provider: attempt.provider.id },
    );
    finish('upstream_error', { errorKind: error.kind, errorMessage: error.message, timeToFirstTokenMs });
    return { started: false, error };
  }

  let settledAt: number | undefined;
  const settle = () => {
    if (settledAt !== undefined) return;
    settledAt = deps.clock.monotonic();
    options.onSettled(settledAt - started);
  };

  let iterating = false;
  let ended = false;
  let cancelled = false;
  const abandon = (results: Partial<CompletionProfile>) => {
    settle();
    controller.abort(new Error('client closed the stream'));
    void iterator.return?.(undefined).catch(() => undefined);
    finish('client_aborted', { errorKind: 'client_aborted', timeToFirstTokenMs, ...results });
  };

  async function* events(): AsyncGenerator<ChatEvent> {
    iterating = true;
    let usage: Usage | undefined;
    let engine: EngineTimings | undefined;
    let finishReason: string | undefined;
    const observe = (event: ChatEvent) => {
      switch (event.type) {
        case 'text-delta':
          textCharacters += event.text.length;
          if (progress) progress.pieces += 1;
          return;
        case 'reasoning-delta':
          if (progress) progress.pieces += 1;
          return;
        case 'tool-call-start':
          toolCalls[event.index] = { name: event.name, arguments: '' };
          return;
        case 'tool-call-delta': {
          const call = toolCalls[event.index];
          if (call) call.arguments += event.argumentsDelta;
          if (progress) progress.pieces += 1;
          return;
        }
        case 'finish':
          usage = event.usage;
          engine = event.engine;
          finishReason = event.finishReason;
          return;
        default:
          return;
      }
    };
    const results = () => ({
      timeToFirstTokenMs,
      ...(finishReason !== undefined ? { finishReason } : {}),
      ...usageFields(attempt, usage),
      ...engineFields(engine),
    });
    try {
      observe(first.value);
      yield first.value;
      for (;;) {
        const next = await iterator.next();
        if (next.done) break;
        observe(next.value);
        yield next.value;
      }
      ended = true;
      settle();
      finish('ok', results());
    } catch (thrown) {
      ended = true;
      settle();
      const error = cancelled
        ? new GatewayError('client_aborted', 'The client closed the request before it finished.')
        : classify(thrown, context.signal);
      finish(outcomeOf(error), { errorKind: error.kind, errorMessage: error.message, ...results() });
      throw error;
    } finally {
      if (!ended) {
        // The consumer stopped early: the client went away mid-answer. Stop the upstream too.
        ended = true;
        abandon(results());
      }
    }
  }

  return {
    started: true,
    events: events(),
    timeToFirstTokenMs,
    pendingMs: () => (settledAt === undefined ? deps.clock.monotonic() - started : 0),
    cancel: () => {
      if (ended) return;
      cancelled = true;
      if (!iterating) {
        ended = true;
        abandon({});
        return;
      }
      // Mid-iteration the generator may be awaiting the upstream: abort now rather than at its next yield.
      controller.abort(new Error('client closed the stream'));
    },
  };
}

function classify(thrown: unknown, clientSignal: AbortSignal): GatewayError {
  if (clientSignal.aborted || isAbortError(thrown)) {
    return new GatewayError('client_aborted', 'The client closed the request before it finished.', {
      cause: thrown,
    });
  }
  return asGatewayError(thrown);
}

function outcomeOf(error: GatewayError): CompletionOutcome {
  if (error.kind === 'client_aborted') return 'client_aborted';
  if (error.kind === 'timeout') return 'deadline_exceeded';
  return 'upstream_error';
}

function baseProfile(
  attempt: PlannedAttempt,
  request: ChatRequest,
  context: RequestContext,
  startedAt: number,
  options: TryOptions,
): Omit<CompletionProfile, 'outcome' | 'durationMs'> {
  const profile: Omit<CompletionProfile, 'outcome' | 'durationMs'> = {
    requestId: context.requestId,
    attempt: options.tryIndex,
    startedAt,
    provider: attempt.provider.id,
    model: attempt.model,
    locality: attempt.provider.locality,
    streamed: request.stream,
    promptChars: context.size.characters,
    estimatedPromptTokens: context.size.estimatedTokens,
    messageCount: context.size.messageCount,
    toolCount: context.size.toolCount,
    imageCount: context.size.imageCount,
  };
  if (context.decision?.reason !== undefined) profile.decisionReason = context.decision.reason;
  if (context.decision?.complexity !== undefined) profile.complexity = context.decision.complexity;
  if (attempt.predictedTtftMs !== undefined) profile.predictedTtftMs = attempt.predictedTtftMs;
  if (attempt.predictedTotalMs !== undefined) profile.predictedTotalMs = attempt.predictedTotalMs;
  if (attempt.expectedCachedTokens !== undefined)
    profile.estimatedCachedTokens = attempt.expectedCachedTokens;
  const previous = options.escalatedFrom.at(-1);
  if (previous) profile.escalatedFrom = `${previous.provider.id}/${previous.model}`;
  return profile;
}

function usageFields(attempt: PlannedAttempt, usage: Usage | undefined): Partial<CompletionProfile> {
  if (!usage) return {};
  const fields: Partial<CompletionProfile> = {
    promptTokens: usage.promptTokens,
    completionTokens: usage.completionTokens,
  };
  if (usage.cachedPromptTokens !== undefined) fields.cachedPromptTokens = usage.cachedPromptTokens;
  const cost = attempt.provider.costOf(attempt.model, usage);
  if (cost !== undefined) fields.costDollars = cost;
  return fields;
}

function engineFields(engine: EngineTimings | undefined): Partial<CompletionProfile> {
  if (!engine) return {};
  const fields: Partial<CompletionProfile> = {
    loadDurationNs: engine.loadDurationNs,
    promptEvalCount: engine.promptEvalCount,
    promptEvalDurationNs: engine.promptEvalDurationNs,
    evalCount: engine.evalCount,
    evalDurationNs: engine.evalDurationNs,
    totalDurationNs: engine.totalDurationNs,
    doneReason: engine.doneReason,
    coldStart: engine.loadDurationNs >= coldStartThresholdNs,
  };
  if (engine.contextSize !== undefined) fields.numCtx = engine.contextSize;
  if (engine.promptEvalCount > 0 && engine.promptEvalDurationNs > 0) {
    fields.prefillTokensPerSecond = engine.promptEvalCount / (engine.promptEvalDurationNs / 1e9);
  }
  if (engine.evalCount > 0 && engine.evalDurationNs > 0) {
    fields.decodeTokensPerSecond = engine.evalCount / (engine.evalDurationNs / 1e9);
  }
  return fields;
}
