/**
 * @module response-planner
 * Decides, before any waiting, everything a chat answer will contain: thinking tokens, content tokens,
 * tool calls, and why it ends. Timing is applied afterwards by the chat generation, token by token.
 */
import type { ModelOptions } from './chat-request.js';
import { type Directives, parseDirectives, stripDirectives } from './directives.js';
import { capabilitiesOf } from './model-catalog.js';
import { createRandom, hashString, mixSeeds, type Random } from './random.js';
import { contentForFormat } from './structured-output.js';
import { generateTokens } from './text-generator.js';
import { tokenize } from './tokenizer.js';
import { buildToolCall, chooseTools } from './tool-calls.js';
import type { SimulatedModelSpec } from './types.js';
import type { WireChatRequest, WireToolCall } from './wire-types.js';

export interface ResponsePlan {
  thinking: string[];
  content: string[];
  /** Emitted as one chunk once their tokens are decoded, as Ollama parses calls before sending them. */
  toolCalls?: WireToolCall[];
  /** What the model generates to express the calls; empty without calls. */
  toolCallTokens: string[];
  doneReason: string;
  directives: Directives;
}

/** Tokens generated in total: what `eval_count` reports. */
export function outputTokenCount(plan: ResponsePlan): number {
  return plan.thinking.length + plan.content.length + plan.toolCallTokens.length;
}

/** Cuts content at the first stop sequence; the stop text itself is not returned, as in Ollama. */
function applyStop(tokens: string[], stops: readonly string[]): string[] {
  const text = tokens.join('');
  const positions = stops.filter(Boolean).map((stop) => text.indexOf(stop));
  const cut = Math.min(...positions.filter((position) => position >= 0));
  if (!Number.isFinite(cut)) return tokens;
  const kept: string[] = [];
  let length = 0;
  for (const token of tokens) {
    if (length + token.length > cut) break;
    kept.push(token);
    length += token.length;
  }
  return kept;
}

function plainContent(
  request: WireChatRequest,
  directives: Directives,
  lastUserText: string,
  random: Random,
): string[] {
  if (directives.echo) return tokenize(stripDirectives(lastUserText));
  if (request.format !== undefined) return tokenize(contentForFormat(request.format, random));
  if (directives.json) return tokenize(contentForFormat('json', random));
  return generateTokens(random, directives.tokens ?? random.integer(20, 120));
}

export function planResponse(input: {
  model: SimulatedModelSpec;
  request: WireChatRequest;
  options: ModelOptions;
  simulatorSeed: number;
}): ResponsePlan {
  const { model, request, options } = input;
  const lastUserText =
    [...request.messages].reverse().find((message) => message.role === 'user')?.content ?? '';
  const directives = parseDirectives(lastUserText);
  const conversationKey = hashString(JSON.stringify(request.messages));
  const random = createRandom(mixSeeds(input.simulatorSeed, options.seed ?? 0, model.name, conversationKey));
  const thinks = capabilitiesOf(model).includes('thinking') && request.think !== false;
  let thinking = thinks ? generateTokens(random, random.integer(15, 60), false) : [];
  let content: string[] = [];
  let toolCalls: WireToolCall[] | undefined;
  let toolCallTokens: string[] = [];
  let doneReason = 'stop';

  const tools = chooseTools(request.tools, request.messages, directives);
  if (tools.length > 0) {
    toolCalls = tools.map((tool, index) => buildToolCall(tool, index, random));
    const spoken = toolCalls.map((call) => ({
      name: call.function.name,
      arguments: call.function.arguments,
    }));
    toolCallTokens = tokenize(spoken.map((call) => JSON.stringify(call)).join('\n'));
  } else {
    content = applyStop(plainContent(request, directives, lastUserText, random), options.stop);
    if (directives.stop && options.stop.length > 0) content = content.slice(0, Math.ceil(content.length / 2));
  }

  const budget = options.numPredict !== undefined && options.numPredict > 0 ? options.numPredict : Infinity;
  if (thinking.length + content.length + toolCallTokens.length > budget) {
    doneReason = 'length';
    thinking = thinking.slice(0, budget);
    if (toolCalls) {
      // Calls cut short never parse: the model's raw partial output becomes content.
      content = toolCallTokens;
      toolCalls = undefined;
      toolCallTokens = [];
    }
    content = content.slice(0, budget - thinking.length);
  }
  if (directives.finish) doneReason = directives.finish;
  return { thinking, content, toolCalls, toolCallTokens, doneReason, directives };
}
