/**
 * @module gateway/attempt-profile
 * The fields of a try's profile row: those known when it starts, those its finish event brings (usage,
 * cost, the engine's timings), and the outcome and error kind of a try that failed.
 */
import { asGatewayError, GatewayError, isAbortError } from '../errors.js';
import type { ChatRequest } from '../openai/chat-request.js';
import type { CompletionOutcome, CompletionProfile } from '../profiler/completion-profile.js';
import { coldStartThresholdNs } from '../profiler/completion-profile.js';
import type { EngineTimings, Usage } from '../providers/provider.js';
import type { PlannedAttempt, RequestContext } from './attempt-types.js';

/** A profile row before its try has ended. */
export type StartingProfile = Omit<CompletionProfile, 'outcome' | 'durationMs'>;

/** Where a try stands in its request: its index among all tries, and the attempts abandoned before it. */
export interface TryPosition {
  tryIndex: number;
  escalatedFrom: readonly PlannedAttempt[];
}

/** What a thrown value means for the try: the client went away, or the error it carries. */
export function classify(thrown: unknown, clientSignal: AbortSignal): GatewayError {
  if (clientSignal.aborted || isAbortError(thrown)) {
    return new GatewayError('client_aborted', 'The client closed the request before it finished.', {
      cause: thrown,
    });
  }
  return asGatewayError(thrown);
}

export function outcomeOf(error: GatewayError): CompletionOutcome {
  if (error.kind === 'client_aborted') return 'client_aborted';
  if (error.kind === 'timeout') return 'deadline_exceeded';
  return 'upstream_error';
}

export function baseProfile(
  attempt: PlannedAttempt,
  request: ChatRequest,
  context: RequestContext,
  startedAt: number,
  position: TryPosition,
): StartingProfile {
  const profile: StartingProfile = {
    requestId: context.requestId,
    attempt: position.tryIndex,
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
  const previous = position.escalatedFrom.at(-1);
  if (previous) profile.escalatedFrom = `${previous.provider.id}/${previous.model}`;
  return profile;
}

export function usageFields(attempt: PlannedAttempt, usage: Usage | undefined): Partial<CompletionProfile> {
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

export function engineFields(engine: EngineTimings | undefined): Partial<CompletionProfile> {
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
