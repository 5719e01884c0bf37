/**
 * @module gateway/attempt-types
 * What the attempt runner is given and what it reports: a plan's attempts, the request's context, the
 * runner's dependencies, and the observer through which live routing state follows every attempt. In a
 * module of their own so that the runner's parts share them without importing the runner;
 * `gateway/attempt-runner` re-exports them for its callers.
 */
import type { Config } from '../config/schema.js';
import type { Metrics } from '../metrics/metrics.js';
import type { ChatRequest } from '../openai/chat-request.js';
import type { RequestSize } from '../openai/request-size.js';
import type { CompletionProfile } from '../profiler/completion-profile.js';
import type { ProviderAdapter } from '../providers/provider.js';
import type { Clock } from './clock.js';

/** One step of a plan: which provider and model, and how long it may take to produce its first token. */
export interface PlannedAttempt {
  provider: ProviderAdapter;
  model: string;
  /** Abandon this attempt (and escalate) if no first event arrives within this many ms. */
  firstTokenDeadlineMs?: number;
  /**
   * Abandon it, too, once this many ms have passed since the request arrived (the attempts after it
   * need the rest); an attempt with less left than `firstTokenNeededMs` is not started.
   */
  firstTokenByMs?: number;
  /** The first token routing counted on for this attempt (at its decision quantile). */
  firstTokenNeededMs?: number;
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

/**
 * How far a running attempt's answer has got. An observer that returns one from `started` gets it kept
 * up to date: routing reads it to tell how soon the answer will free its slot.
 */
export interface AttemptProgress {
  /** `clock.now()` when its first event arrived. */
  firstEventAt?: number;
  /** Text, reasoning and tool-argument pieces so far: about one token each on Ollama's stream. */
  pieces: number;
  /**
   * `clock.now()` at the latest three multiples of `piecesPerLap` pieces: the answer's pace over its last
   * two laps, which a slowdown in the middle of an answer shows at once (its average pace since the first
   * token does not). Two laps, because one lap can be slowed by a single stall of the event loop.
   */
  lapAt?: number;
  previousLapAt?: number;
  earlierLapAt?: number;
}

/** Pieces between two marks of `AttemptProgress.lapAt`. */
export const piecesPerLap = 16;

/** Hooks for live routing state: in-flight counts, breakers, prefix caches, outcome learning. */
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
  /** When the request arrived (`Clock.monotonic`): attempts' `firstTokenByMs` count from it. Default: when the attempts start. */
  receivedAt?: number;
  /** Aborts when the client goes away. */
  signal: AbortSignal;
  size: RequestSize;
  decision?: DecisionRecord;
}
