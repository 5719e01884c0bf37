/**
 * @module Turns a response plan into Anthropic's wire formats: one `Message` object, or the documented
 * SSE sequence (message_start, content_block_start, ping, content_block_delta…, content_block_stop,
 * message_delta, message_stop). Each stream event records how many output tokens must exist before it
 * is sent, which is all the pacing needs.
 */
import type { RandomSource } from '../shared/seeded-random.js';
import { groupPieces, splitAtRandomPoints } from '../shared/text-generator.js';
import type { InputUsage } from './count-input.js';
import type { PlannedBlock, ResponsePlan } from './plan-response.js';

export interface MessageIdentity {
  readonly id: string;
  readonly model: string;
}

/** One SSE event and the number of output tokens generated before it goes out. */
export interface StreamEvent {
  readonly event: string;
  readonly data: Readonly<Record<string, unknown>>;
  readonly afterTokens: number;
}

export function encodeMessage(plan: ResponsePlan, identity: MessageIdentity, input: InputUsage): unknown {
  return {
    id: identity.id,
    type: 'message',
    role: 'assistant',
    model: identity.model,
    content: plan.blocks.map(finalBlock),
    stop_reason: plan.stopReason,
    stop_sequence: plan.stopSequence,
    usage: usage(input, plan.outputTokens),
  };
}

export function encodeStream(
  plan: ResponsePlan,
  identity: MessageIdentity,
  input: InputUsage,
  random: RandomSource,
): StreamEvent[] {
  const events: StreamEvent[] = [];
  let tokens = 0;
  const push = (event: string, data: Record<string, unknown>) =>
    events.push({ event, data: { type: event, ...data }, afterTokens: tokens });
  const message = {
    id: identity.id,
    type: 'message',
    role: 'assistant',
    model: identity.model,
    content: [],
    stop_reason: null,
    stop_sequence: null,
    usage: usage(input, 1),
  };
  push('message_start', { message });
  plan.blocks.forEach((block, index) => {
    push('content_block_start', { index, content_block: startBlock(block) });
    if (index === 0) push('ping', {});
    const delta = (payload: Record<string, unknown>) =>
      push('content_block_delta', { index, delta: payload });
    if (block.type === 'tool_use') {
      delta({ type: 'input_json_delta', partial_json: '' });
      const before = tokens;
      let characters = 0;
      for (const fragment of splitAtRandomPoints(random, block.json, 1, 14)) {
        characters += fragment.length;
        tokens = before + Math.round((block.tokens * characters) / block.json.length);
        delta({ type: 'input_json_delta', partial_json: fragment });
      }
    } else {
      const thinking = block.type === 'thinking';
      for (const group of groupPieces(random, block.pieces, thinking ? 3 : 1, thinking ? 8 : 3)) {
        tokens += group.tokens;
        delta(
          thinking
            ? { type: 'thinking_delta', thinking: group.text }
            : { type: 'text_delta', text: group.text },
        );
      }
      if (block.type === 'thinking') delta({ type: 'signature_delta', signature: block.signature });
    }
    push('content_block_stop', { index });
  });
  tokens = plan.outputTokens;
  push('message_delta', {
    delta: { stop_reason: plan.stopReason, stop_sequence: plan.stopSequence },
    usage: {
      input_tokens: input.inputTokens,
      cache_creation_input_tokens: input.cacheCreationInputTokens,
      cache_read_input_tokens: input.cacheReadInputTokens,
      output_tokens: plan.outputTokens,
    },
  });
  push('message_stop', {});
  return events;
}

/** One SSE event on the wire: named, with the matching `type` inside the data. */
export function sseFrame(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

function usage(input: InputUsage, outputTokens: number): Record<string, unknown> {
  return {
    input_tokens: input.inputTokens,
    cache_creation_input_tokens: input.cacheCreationInputTokens,
    cache_read_input_tokens: input.cacheReadInputTokens,
    cache_creation: {
      ephemeral_5m_input_tokens: input.cacheCreation.ephemeral5m,
      ephemeral_1h_input_tokens: input.cacheCreation.ephemeral1h,
    },
    output_tokens: outputTokens,
    service_tier: 'standard',
  };
}

function finalBlock(block: PlannedBlock): Record<string, unknown> {
  switch (block.type) {
    case 'thinking':
      return { type: 'thinking', thinking: block.pieces.join(''), signature: block.signature };
    case 'text':
      return { type: 'text', text: block.pieces.join('') };
    case 'tool_use':
      return { type: 'tool_use', id: block.id, name: block.name, input: block.input };
  }
}

function startBlock(block: PlannedBlock): Record<string, unknown> {
  switch (block.type) {
    case 'thinking':
      return { type: 'thinking', thinking: '', signature: '' };
    case 'text':
      return { type: 'text', text: '' };
    case 'tool_use':
      return { type: 'tool_use', id: block.id, name: block.name, input: {} };
  }
}
