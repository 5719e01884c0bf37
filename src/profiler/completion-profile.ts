/**
 * @module profiler/completion-profile
 * What is recorded about every upstream attempt, local or cloud, successful or not: the upstream
 * engine's own timings, what switchyard measured itself, the request's shape, the outcome, and the
 * routing decision it was made under (so prediction error can be computed later).
 */

/** How an attempt ended. Upstream failures carry the GatewayError kind in `errorKind`. */
export type CompletionOutcome = 'ok' | 'upstream_error' | 'client_aborted' | 'deadline_exceeded';

export interface CompletionProfile {
  requestId: string;
  /** 0 for the first attempt of a request, 1 for the first escalation, … */
  attempt: number;
  /** Wall-clock start of the attempt, ms since the epoch. */
  startedAt: number;
  provider: string;
  model: string;
  locality: 'local' | 'cloud';
  streamed: boolean;
  outcome: CompletionOutcome;
  errorKind?: string;
  /** The error message (never contains secrets: adapters build these messages themselves). */
  errorMessage?: string;
  finishReason?: string;

  /** Measured by switchyard: from sending the upstream call to its first content event. */
  timeToFirstTokenMs?: number;
  /** Measured by switchyard: the attempt from start to last event. */
  durationMs: number;
  /** switchyard's own time for the request outside the upstream call (parse, decide, encode). */
  overheadMs?: number;

  promptTokens?: number;
  completionTokens?: number;
  cachedPromptTokens?: number;
  costDollars?: number;

  // Engine timings (Ollama's final chunk), nanoseconds as reported.
  loadDurationNs?: number;
  promptEvalCount?: number;
  promptEvalDurationNs?: number;
  evalCount?: number;
  evalDurationNs?: number;
  totalDurationNs?: number;
  doneReason?: string;
  /** Derived: prompt_eval_count / prompt_eval_duration. */
  prefillTokensPerSecond?: number;
  /** Derived: eval_count / eval_duration. */
  decodeTokensPerSecond?: number;
  /** The model had to be loaded for this request (load_duration above the warm threshold). */
  coldStart?: boolean;
  /** The context size switchyard asked the engine for. */
  numCtx?: number;

  // Request shape.
  promptChars: number;
  estimatedPromptTokens: number;
  /** Prompt tokens routing expected the engine's prefix cache to skip (estimated, uncalibrated). */
  estimatedCachedTokens?: number;
  messageCount: number;
  toolCount: number;
  imageCount: number;

  // Routing (filled when a decision was made).
  decisionReason?: string;
  complexity?: string;
  predictedTtftMs?: number;
  predictedTotalMs?: number;
  escalatedFrom?: string;
}

/** One sample of the machine's state, taken on an interval. */
export interface SystemSample {
  sampledAt: number;
  cpuLoadPercent: number;
  memoryUsedBytes: number;
  memoryTotalBytes: number;
  gpuUtilizationPercent?: number;
  vramUsedBytes?: number;
  vramTotalBytes?: number;
}

/** Above this, a completion's load_duration means the model was (re)loaded, not merely touched. */
export const coldStartThresholdNs = 250_000_000;
