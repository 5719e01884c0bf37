/**
 * @module providers/gemini/response
 * Gemini's streamed `GenerateContentResponse` chunks → ChatEvents. Kept apart from the HTTP call so that
 * the translation is testable on plain chunks. Quirks handled here: a function call arrives whole in one
 * part (no argument fragments), thought summaries are ordinary text parts flagged `thought: true`,
 * `usageMetadata` repeats on every chunk with running totals (only the last counts), thinking tokens are
 * billed as output but reported apart from `candidatesTokenCount`, and a blocked prompt ends the stream
 * with `promptFeedback.blockReason` and no candidate at all.
 */
import { randomUUID } from 'node:crypto';
import type { GenerateContentResponse, GenerateContentResponseUsageMetadata } from '@google/genai';
import { GatewayError } from '../../errors.js';
import type { ChatEvent, FinishReason, Usage } from '../provider.js';

/** Feeds chunks in order, then `finish()` once the stream has ended. */
export interface GeminiEventTranslator {
  push(chunk: GenerateContentResponse): ChatEvent[];
  /** The one `finish` event. Throws `stream_interrupted` when Gemini never said why it stopped. */
  finish(): ChatEvent;
}

const contentFilterReasons = new Set([
  'SAFETY',
  'RECITATION',
  'BLOCKLIST',
  'PROHIBITED_CONTENT',
  'SPII',
  'IMAGE_SAFETY',
  'IMAGE_PROHIBITED_CONTENT',
  'IMAGE_RECITATION',
]);

export interface GeminiEventTranslatorOptions {
  /** Id for a function call Gemini sent without one (Gemini 2.x never sends ids). */
  newCallId?: () => string;
}

export function createGeminiEventTranslator(
  options: GeminiEventTranslatorOptions = {},
): GeminiEventTranslator {
  const newCallId = options.newCallId ?? (() => `call_${randomUUID().replaceAll('-', '').slice(0, 24)}`);
  let toolCalls = 0;
  let finishReason: string | undefined;
  let blockReason: string | undefined;
  let usage: GenerateContentResponseUsageMetadata | undefined;

  return {
    push(chunk) {
      const events: ChatEvent[] = [];
      if (chunk.usageMetadata) usage = chunk.usageMetadata;
      if (chunk.promptFeedback?.blockReason) blockReason = chunk.promptFeedback.blockReason;
      // One candidate is asked for; `candidateCount` is never set.
      const candidate = chunk.candidates?.[0];
      for (const part of candidate?.content?.parts ?? []) {
        if (part.functionCall) {
          const index = toolCalls++;
          const id = part.functionCall.id || newCallId();
          events.push({ type: 'tool-call-start', index, id, name: part.functionCall.name ?? '' });
          events.push({
            type: 'tool-call-delta',
            index,
            argumentsDelta: JSON.stringify(part.functionCall.args ?? {}),
          });
        } else if (typeof part.text === 'string' && part.text !== '') {
          events.push({ type: part.thought ? 'reasoning-delta' : 'text-delta', text: part.text });
        }
        // Other parts (a bare thoughtSignature, executable code, inline media) have no OpenAI shape.
      }
      if (candidate?.finishReason) finishReason = candidate.finishReason;
      return events;
    },
    finish() {
      if (finishReason === undefined && blockReason === undefined) {
        throw new GatewayError(
          'stream_interrupted',
          'Gemini ended the stream before the answer was complete (no finishReason). Retry the request.',
          { provider: 'gemini' },
        );
      }
      return {
        type: 'finish',
        finishReason:
          finishReason === undefined ? 'content_filter' : mapFinishReason(finishReason, toolCalls > 0),
        usage: toUsage(usage),
      };
    },
  };
}

/**
 * Gemini says STOP after function calls too; OpenAI clients run tools only on `tool_calls`. Reasons
 * without an OpenAI equivalent (OTHER, LANGUAGE, MALFORMED_FUNCTION_CALL, …) become `stop`, as the
 * model did stop; CONTINUATION means the per-request output limit was reached.
 */
function mapFinishReason(reason: string, calledTools: boolean): FinishReason {
  if (reason === 'MAX_TOKENS' || reason === 'CONTINUATION') return 'length';
  if (contentFilterReasons.has(reason)) return 'content_filter';
  return calledTools ? 'tool_calls' : 'stop';
}

function toUsage(metadata: GenerateContentResponseUsageMetadata | undefined): Usage {
  const thoughts = metadata?.thoughtsTokenCount ?? 0;
  // Prompt tokens spent on tool use (code execution, search) are billed as input.
  const usage: Usage = {
    promptTokens: (metadata?.promptTokenCount ?? 0) + (metadata?.toolUsePromptTokenCount ?? 0),
    completionTokens: (metadata?.candidatesTokenCount ?? 0) + thoughts,
  };
  if (metadata?.cachedContentTokenCount !== undefined)
    usage.cachedPromptTokens = metadata.cachedContentTokenCount;
  if (thoughts > 0) usage.reasoningTokens = thoughts;
  return usage;
}
