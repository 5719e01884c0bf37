/**
 * @module providers/provider
 * The small interface every upstream adapter implements, and the one event stream they all produce.
 * Generic code (routes, routing, profiler) talks only to this interface and never branches on a
 * provider's name: what differs between providers is answered by the adapter.
 */
import type { ChatRequest } from '../openai/chat-request.js';

export type FinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter';

export interface Usage {
  promptTokens: number;
  completionTokens: number;
  /** Prompt tokens served from the upstream's prompt cache (part of `promptTokens`). */
  cachedPromptTokens?: number;
  /**
   * Prompt tokens this request wrote to the upstream's prompt cache (part of `promptTokens`): billed
   * above the input price where the upstream charges for writes (Anthropic).
   */
  cacheWritePromptTokens?: number;
  /** Output tokens spent on reasoning/thinking, where the upstream reports them. */
  reasoningTokens?: number;
}

/**
 * Timings reported by a local inference engine for one completion (Ollama's final-chunk fields), in
 * nanoseconds as Ollama reports them. Cloud adapters leave them out.
 */
export interface EngineTimings {
  loadDurationNs: number;
  promptEvalCount: number;
  promptEvalDurationNs: number;
  evalCount: number;
  evalDurationNs: number;
  totalDurationNs: number;
  /** The engine's own reason for stopping (`stop`, `length`, `load`, …), kept verbatim for the profile. */
  doneReason: string;
  /** The context size (`num_ctx`) the adapter asked for. */
  contextSize?: number;
}

/** The internal event stream: what any upstream's answer becomes. Non-streaming is the same events collected. */
export type ChatEvent =
  | { type: 'text-delta'; text: string }
  | { type: 'reasoning-delta'; text: string }
  /** A new tool call; `index` counts tool calls in this response from 0. */
  | { type: 'tool-call-start'; index: number; id: string; name: string }
  /** A fragment of the JSON-string arguments of the tool call at `index`. */
  | { type: 'tool-call-delta'; index: number; argumentsDelta: string }
  | { type: 'finish'; finishReason: FinishReason; usage: Usage; engine?: EngineTimings };

/** What the caller of `chat()` supplies besides the request. */
export interface ChatCallContext {
  /** The upstream model name, without the provider prefix. */
  model: string;
  /** Aborted when the client disconnects or an attempt is abandoned; the adapter must stop the upstream call. */
  signal: AbortSignal;
  requestId: string;
}

export interface ProviderModel {
  /** The upstream model name, without prefix. */
  name: string;
  /** Context window in tokens, when known. */
  contextLength?: number;
  /** Size on disk or in memory, when known (local models). */
  sizeBytes?: number;
}

export interface ProviderHealth {
  /** `ready`: answering; `disabled`: not configured (no key); `down`: configured but failing. */
  status: 'ready' | 'disabled' | 'down';
  /** A sentence a person can act on when not ready. */
  message?: string;
  version?: string;
  /** Models currently loaded in memory (local engines). */
  loadedModels?: Array<{ name: string; sizeVramBytes?: number; expiresAt?: string; contextLength?: number }>;
}

export interface ProviderAdapter {
  /** The prefix in model ids (`ollama` in `ollama/qwen2.5-coder:7b`). */
  readonly id: string;
  /** Where it runs: routing keeps `local` requests on this machine. */
  readonly locality: 'local' | 'cloud';
  /** How long a model stays in memory after a completion (local engines), so routing knows it is warm. */
  readonly residencyMs?: number;
  /** Why the adapter cannot be used (a missing key), or undefined when it can. */
  readonly disabledReason: string | undefined;
  /** Models this provider can serve right now (discovered or configured). */
  listModels(signal?: AbortSignal): Promise<ProviderModel[]>;
  health(signal?: AbortSignal): Promise<ProviderHealth>;
  /** Streams one completion. Throws a GatewayError for upstream failures, before or during the stream. */
  chat(request: ChatRequest, context: ChatCallContext): AsyncIterable<ChatEvent>;
  /** The model's context window in tokens, when the upstream can tell (cached by the adapter). */
  contextLengthOf?(model: string, signal?: AbortSignal): Promise<number | undefined>;
  /** Dollars this usage costs on `model`, from the configured prices; undefined when free or unpriced. */
  costOf(model: string, usage: Usage): number | undefined;
  /** Closes the connections of a pool the adapter made itself (at shutdown, after the last request). */
  close?(): void;
}
