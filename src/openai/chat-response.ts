/**
 * @module openai/chat-response
 * The outbound edge: the internal event stream encoded as OpenAI chat completion chunks (streaming) or
 * collected into one chat completion (non-streaming). Both paths go through the same event handling,
 * so a response means the same thing however it was asked for.
 */
import type { ChatEvent, FinishReason, Usage } from '../providers/provider.js';

export interface ResponseIdentity {
  /** `chatcmpl-…`, the same on every chunk. */
  id: string;
  /** Unix seconds, the same on every chunk. */
  created: number;
  model: string;
}

interface WireToolCallDelta {
  index: number;
  id?: string;
  type?: 'function';
  function: { name?: string; arguments: string };
}

interface WireDelta {
  role?: 'assistant';
  content?: string;
  reasoning_content?: string;
  tool_calls?: WireToolCallDelta[];
}

export interface WireUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details?: { cached_tokens: number };
  completion_tokens_details?: { reasoning_tokens: number };
}

export interface ChatCompletionChunk {
  id: string;
  object: 'chat.completion.chunk';
  created: number;
  model: string;
  choices: Array<{ index: 0; delta: WireDelta; logprobs: null; finish_reason: FinishReason | null }>;
  usage?: WireUsage | null;
}

export function toWireUsage(usage: Usage): WireUsage {
  const wire: WireUsage = {
    prompt_tokens: usage.promptTokens,
    completion_tokens: usage.completionTokens,
    total_tokens: usage.promptTokens + usage.completionTokens,
  };
  if (usage.cachedPromptTokens !== undefined) {
    wire.prompt_tokens_details = { cached_tokens: usage.cachedPromptTokens };
  }
  if (usage.reasoningTokens !== undefined) {
    wire.completion_tokens_details = { reasoning_tokens: usage.reasoningTokens };
  }
  return wire;
}

/**
 * Turns events into chunks. Stateful: the first delta carries `role`, and with `include_usage` every
 * chunk has `usage: null` and a last chunk with `choices: []` carries the usage.
 */
export class ChunkEncoder {
  private roleSent = false;

  constructor(
    private readonly identity: ResponseIdentity,
    private readonly includeUsage: boolean,
  ) {}

  encode(event: ChatEvent): ChatCompletionChunk[] {
    switch (event.type) {
      case 'text-delta':
        return [this.chunk({ content: event.text }, null)];
      case 'reasoning-delta':
        return [this.chunk({ reasoning_content: event.text }, null)];
      case 'tool-call-start':
        return [
          this.chunk(
            {
              tool_calls: [
                {
                  index: event.index,
                  id: event.id,
                  type: 'function',
                  function: { name: event.name, arguments: '' },
                },
              ],
            },
            null,
          ),
        ];
      case 'tool-call-delta':
        return [
          this.chunk(
            { tool_calls: [{ index: event.index, function: { arguments: event.argumentsDelta } }] },
            null,
          ),
        ];
      case 'finish': {
        const chunks = [this.chunk({}, event.finishReason)];
        if (this.includeUsage) {
          chunks.push({ ...this.base(), choices: [], usage: toWireUsage(event.usage) });
        }
        return chunks;
      }
    }
  }

  private chunk(delta: WireDelta, finishReason: FinishReason | null): ChatCompletionChunk {
    if (!this.roleSent) {
      this.roleSent = true;
      // The first delta carries the role, and content as a string (clients concatenate it).
      delta = { role: 'assistant', content: '', ...delta };
    }
    const chunk: ChatCompletionChunk = {
      ...this.base(),
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
    };
    if (this.includeUsage) chunk.usage = null;
    return chunk;
  }

  private base() {
    return {
      id: this.identity.id,
      object: 'chat.completion.chunk' as const,
      created: this.identity.created,
      model: this.identity.model,
    };
  }
}

export interface ChatCompletion {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  choices: Array<{
    index: 0;
    message: {
      role: 'assistant';
      content: string | null;
      reasoning_content?: string;
      tool_calls?: Array<{ id: string; type: 'function'; function: { name: string; arguments: string } }>;
      refusal: null;
    };
    logprobs: null;
    finish_reason: FinishReason;
  }>;
  usage: WireUsage;
}

/** Accumulates events into one chat completion: the non-streaming path is the streaming one, collected. */
export class CompletionCollector {
  private content = '';
  private reasoning = '';
  private readonly toolCalls: Array<{ id: string; name: string; arguments: string }> = [];
  private finishReason: FinishReason = 'stop';
  private usage: Usage = { promptTokens: 0, completionTokens: 0 };

  add(event: ChatEvent): void {
    switch (event.type) {
      case 'text-delta':
        this.content += event.text;
        return;
      case 'reasoning-delta':
        this.reasoning += event.text;
        return;
      case 'tool-call-start':
        this.toolCalls[event.index] = { id: event.id, name: event.name, arguments: '' };
        return;
      case 'tool-call-delta': {
        const call = this.toolCalls[event.index];
        if (call) call.arguments += event.argumentsDelta;
        return;
      }
      case 'finish':
        this.finishReason = event.finishReason;
        this.usage = event.usage;
        return;
    }
  }

  result(identity: ResponseIdentity): ChatCompletion {
    const toolCalls = this.toolCalls.filter(Boolean);
    const message: ChatCompletion['choices'][number]['message'] = {
      role: 'assistant',
      // OpenAI sends null content for a pure tool-call answer; SDKs and tools expect exactly that.
      content: toolCalls.length > 0 && this.content === '' ? null : this.content,
      refusal: null,
    };
    if (this.reasoning) message.reasoning_content = this.reasoning;
    if (toolCalls.length > 0) {
      message.tool_calls = toolCalls.map((call) => ({
        id: call.id,
        type: 'function',
        function: { name: call.name, arguments: call.arguments },
      }));
    }
    return {
      id: identity.id,
      object: 'chat.completion',
      created: identity.created,
      model: identity.model,
      choices: [{ index: 0, message, logprobs: null, finish_reason: this.finishReason }],
      usage: toWireUsage(this.usage),
    };
  }
}
