/**
 * @module The Messages API request after validation: what the response planner may rely on. Content is
 * normalised to block arrays (a string becomes one text block), as the API itself treats it.
 */
import type { JsonObject } from '../shared/json-object.js';

export interface ClaudeMessage {
  readonly role: 'user' | 'assistant';
  /** Validated content blocks (`text`, `image`, `tool_use`, `tool_result`, …) as received. */
  readonly blocks: readonly JsonObject[];
}

/** A client tool the model may call (server tools such as web search are accepted but never called). */
export interface ClaudeTool {
  readonly name: string;
  readonly inputSchema: JsonObject;
  /** The tool definition as sent, for token counting and cache prefixes. */
  readonly raw: JsonObject;
}

export interface ClaudeToolChoice {
  readonly type: 'auto' | 'any' | 'tool' | 'none';
  readonly name: string | undefined;
  readonly disableParallel: boolean;
}

export interface MessagesRequest {
  readonly model: string;
  readonly maxTokens: number;
  readonly stream: boolean;
  /** `system` as text blocks (a string becomes one block). */
  readonly system: readonly JsonObject[];
  readonly messages: readonly ClaudeMessage[];
  readonly tools: readonly ClaudeTool[];
  readonly toolChoice: ClaudeToolChoice;
  readonly stopSequences: readonly string[];
  /** Extended thinking; `budgetTokens` is undefined for adaptive thinking. */
  readonly thinking: { readonly budgetTokens: number | undefined } | null;
  /** `output_config.format.schema` when structured output was requested. */
  readonly outputSchema: JsonObject | undefined;
  /** Top-level `cache_control` (automatic caching: a breakpoint on the last block), as sent. */
  readonly cacheControl: JsonObject | undefined;
}
