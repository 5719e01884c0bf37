/**
 * @module wire-types
 * The JSON shapes of Ollama's native API (v0.12), as its Go structs in `api/types.go` encode them: field
 * names, nesting and which fields are optional. Only what the simulator reads or writes is typed.
 */

/** A JSON schema, as loosely as tools and `format` carry it. */
export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  enum?: unknown[];
  description?: string;
}

export interface WireToolCall {
  function: { index?: number; name: string; arguments: Record<string, unknown> };
}

export interface WireMessage {
  role: string;
  content: string;
  thinking?: string;
  images?: string[];
  tool_calls?: WireToolCall[];
  tool_name?: string;
}

export interface WireTool {
  type: string;
  function: { name: string; description?: string; parameters?: JsonSchema };
}

/** POST /api/chat body. `options` stays a loose map, as in Ollama, and is checked field by field. */
export interface WireChatRequest {
  model: string;
  messages: WireMessage[];
  tools?: WireTool[];
  format?: 'json' | JsonSchema;
  options?: Record<string, unknown>;
  keep_alive?: string | number;
  stream?: boolean;
  think?: boolean | string;
}

/** Timing fields of the final chunk, all in nanoseconds except the counts. */
export interface WireMetrics {
  total_duration: number;
  load_duration: number;
  prompt_eval_count: number;
  prompt_eval_duration: number;
  eval_count: number;
  eval_duration: number;
}

/** One NDJSON line of /api/chat, or the whole non-streamed answer. Key order follows Ollama's struct. */
export type WireChatResponse = {
  model: string;
  created_at: string;
  message: WireMessage;
  done: boolean;
  /** 'stop', 'length', 'load' or 'unload' from Ollama; anything else only via `[sim:finish=…]`. */
  done_reason?: string;
} & Partial<WireMetrics>;

export interface WireModelDetails {
  parent_model: string;
  format: string;
  family: string;
  families: string[] | null;
  parameter_size: string;
  quantization_level: string;
}
