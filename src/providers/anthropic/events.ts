/**
 * @module providers/anthropic/events
 * The Messages API's raw stream events, as switchyard's ChatEvents. Anthropic streams content blocks
 * (text, thinking, tool_use) addressed by block index, and reports usage in two halves: input and cache
 * counts in `message_start`, cumulative output counts in `message_delta`. Only `message_stop` proves the
 * answer complete: a stream that ends before it was cut, however cleanly the connection closed.
 */
import type { RawMessageStreamEvent, StopReason } from '@anthropic-ai/sdk/resources/messages';
import { GatewayError } from '../../errors.js';
import type { ChatEvent, FinishReason, Usage } from '../provider.js';

export interface TranslateEventsOptions {
  /** The structured-output tool (see request.ts): its input is streamed as text, not as a tool call. */
  outputToolName?: string;
  /** For messages: the upstream model name. */
  model: string;
}

type BlockState =
  | { kind: 'tool'; index: number; input: unknown; sentArguments: boolean }
  | { kind: 'output'; input: unknown; sentArguments: boolean }
  | { kind: 'other' };

/** The usage fields both `message_start.message.usage` and `message_delta.usage` may carry. */
interface UsageFields {
  input_tokens?: number | null;
  output_tokens?: number | null;
  cache_read_input_tokens?: number | null;
  cache_creation_input_tokens?: number | null;
  output_tokens_details?: { thinking_tokens?: number | null } | null;
}

interface UsageCounts {
  input: number;
  output: number;
  cacheRead: number;
  cacheCreation: number;
  thinking: number;
}

/**
 * Translates one response's raw events. Ends with exactly one `finish` event; throws a
 * `stream_interrupted` GatewayError if the events end before `message_stop`.
 */
export async function* translateAnthropicEvents(
  events: AsyncIterable<RawMessageStreamEvent>,
  options: TranslateEventsOptions,
): AsyncGenerator<ChatEvent> {
  const blocks = new Map<number, BlockState>();
  const counts: UsageCounts = { input: 0, output: 0, cacheRead: 0, cacheCreation: 0, thinking: 0 };
  let toolCalls = 0;
  let stopReason: StopReason | null = null;

  for await (const event of events) {
    switch (event.type) {
      case 'message_start':
        addUsage(counts, event.message?.usage);
        break;
      case 'content_block_start': {
        const block = event.content_block;
        if (block.type === 'text') {
          blocks.set(event.index, { kind: 'other' });
          if (block.text) yield { type: 'text-delta', text: block.text };
        } else if (block.type === 'thinking') {
          blocks.set(event.index, { kind: 'other' });
          if (block.thinking) yield { type: 'reasoning-delta', text: block.thinking };
        } else if (block.type === 'tool_use' && block.name === options.outputToolName) {
          blocks.set(event.index, { kind: 'output', input: block.input, sentArguments: false });
        } else if (block.type === 'tool_use') {
          const index = toolCalls++;
          blocks.set(event.index, { kind: 'tool', index, input: block.input, sentArguments: false });
          yield { type: 'tool-call-start', index, id: block.id, name: block.name };
        } else {
          // redacted_thinking, server tool blocks: nothing an OpenAI client can be shown.
          blocks.set(event.index, { kind: 'other' });
        }
        break;
      }
      case 'content_block_delta': {
        const delta = event.delta;
        if (delta.type === 'text_delta') {
          if (delta.text) yield { type: 'text-delta', text: delta.text };
        } else if (delta.type === 'thinking_delta') {
          if (delta.thinking) yield { type: 'reasoning-delta', text: delta.thinking };
        } else if (delta.type === 'input_json_delta') {
          const state = blocks.get(event.index);
          // The first input_json_delta of a block is often empty: nothing to pass on.
          if (!delta.partial_json || !state || state.kind === 'other') break;
          state.sentArguments = true;
          yield state.kind === 'tool'
            ? { type: 'tool-call-delta', index: state.index, argumentsDelta: delta.partial_json }
            : { type: 'text-delta', text: delta.partial_json };
        }
        // signature_delta and citations_delta have no OpenAI counterpart.
        break;
      }
      case 'content_block_stop': {
        const state = blocks.get(event.index);
        // A tool called without arguments streams no input_json_delta at all, while OpenAI clients
        // JSON.parse the arguments string: send the block's own input (`{}`) so that it parses.
        if (state && state.kind !== 'other' && !state.sentArguments) {
          const json = JSON.stringify(state.input ?? {});
          yield state.kind === 'tool'
            ? { type: 'tool-call-delta', index: state.index, argumentsDelta: json }
            : { type: 'text-delta', text: json };
        }
        break;
      }
      case 'message_delta':
        stopReason = event.delta?.stop_reason ?? stopReason;
        addUsage(counts, event.usage);
        break;
      case 'message_stop':
        yield { type: 'finish', finishReason: finishReasonOf(stopReason, toolCalls), usage: usageOf(counts) };
        return;
      default:
        // The SDK also yields events it does not know (new event types): nothing to translate.
        break;
    }
  }
  throw new GatewayError(
    'stream_interrupted',
    `Anthropic's stream for \`anthropic/${options.model}\` ended before the answer was complete (no message_stop): the connection was cut. Retry the request.`,
    { provider: 'anthropic' },
  );
}

function finishReasonOf(stopReason: StopReason | null, toolCalls: number): FinishReason {
  switch (stopReason) {
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'tool_use':
      // The structured-output tool ends the turn with tool_use too, but the client asked for text.
      return toolCalls > 0 ? 'tool_calls' : 'stop';
    case 'refusal':
      return 'content_filter';
    default:
      // end_turn, stop_sequence, pause_turn (a server tool paused the turn: the text so far is the answer).
      return 'stop';
  }
}

/**
 * Both halves of usage are cumulative counts: a later non-null value replaces the earlier one. Newer API
 * versions repeat the input counts in `message_delta`, older ones send only `output_tokens` there.
 */
function addUsage(counts: UsageCounts, usage: UsageFields | null | undefined): void {
  if (!usage) return;
  if (typeof usage.input_tokens === 'number') counts.input = usage.input_tokens;
  if (typeof usage.output_tokens === 'number') counts.output = usage.output_tokens;
  if (typeof usage.cache_read_input_tokens === 'number') counts.cacheRead = usage.cache_read_input_tokens;
  if (typeof usage.cache_creation_input_tokens === 'number') {
    counts.cacheCreation = usage.cache_creation_input_tokens;
  }
  const thinking = usage.output_tokens_details?.thinking_tokens;
  if (typeof thinking === 'number') counts.thinking = thinking;
}

/**
 * Anthropic's `input_tokens` counts only the part of the prompt after the last cache breakpoint; cache
 * reads and cache writes are reported beside it. OpenAI's prompt_tokens is the whole prompt, so all
 * three are added; `cached_tokens` is the reads only (what was served from the cache), and the writes
 * are carried for pricing, as Anthropic bills them above the input price.
 */
function usageOf(counts: UsageCounts): Usage {
  return {
    promptTokens: counts.input + counts.cacheRead + counts.cacheCreation,
    completionTokens: counts.output,
    ...(counts.cacheRead > 0 ? { cachedPromptTokens: counts.cacheRead } : {}),
    ...(counts.cacheCreation > 0 ? { cacheWritePromptTokens: counts.cacheCreation } : {}),
    ...(counts.thinking > 0 ? { reasoningTokens: counts.thinking } : {}),
  };
}
