/**
 * @module Decides what the simulated Claude answers: thinking, text, JSON or tool calls, the stop reason
 * and output tokens. Pure and seeded, so the streamed and non-streamed encodings of one request carry
 * the same content and tests can predict it.
 */
import { parseDirectives, requestedTools, stripDirectives } from '../shared/directives.js';
import { sampleFromSchema } from '../shared/json-from-schema.js';
import type { JsonObject } from '../shared/json-object.js';
import { type RandomSource, randomId, randomInt } from '../shared/seeded-random.js';
import { estimateTokens, generateWordPieces, splitIntoPieces } from '../shared/text-generator.js';
import type { MessagesRequest } from './request-types.js';

export type StopReason =
  | 'end_turn'
  | 'max_tokens'
  | 'stop_sequence'
  | 'tool_use'
  | 'pause_turn'
  | 'refusal'
  | 'model_context_window_exceeded';

/** One output content block; `pieces` are its one-token units, in output order. */
export type PlannedBlock =
  | { readonly type: 'thinking'; readonly pieces: readonly string[]; readonly signature: string }
  | { readonly type: 'text'; readonly pieces: readonly string[] }
  | {
      readonly type: 'tool_use';
      readonly id: string;
      readonly name: string;
      readonly input: unknown;
      readonly json: string;
      readonly tokens: number;
    };

export interface ResponsePlan {
  readonly blocks: readonly PlannedBlock[];
  readonly stopReason: StopReason;
  readonly stopSequence: string | null;
  readonly outputTokens: number;
}

const STOP_REASONS: readonly string[] = [
  'end_turn',
  'max_tokens',
  'stop_sequence',
  'tool_use',
  'pause_turn',
  'refusal',
  'model_context_window_exceeded',
];
const DEFAULT_JSON_SCHEMA: JsonObject = {
  type: 'object',
  properties: { answer: { type: 'string' }, confidence: { type: 'number', minimum: 0, maximum: 1 } },
  required: ['answer', 'confidence'],
};
const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

export function planResponse(request: MessagesRequest, userText: string, random: RandomSource): ResponsePlan {
  const directives = parseDirectives(userText);
  const blocks: PlannedBlock[] = [];
  if (request.thinking) {
    blocks.push({
      type: 'thinking',
      pieces: generateWordPieces(random, randomInt(random, 24, 64)),
      signature: `Eq${randomId(random, 180, BASE64)}==`,
    });
  }
  let stopReason: StopReason = 'end_turn';
  let stopSequence: string | null = null;
  const toolNames = chooseTools(request, userText, directives);
  if (toolNames.length > 0) {
    if (request.toolChoice.type === 'auto') {
      blocks.push({ type: 'text', pieces: splitIntoPieces(`I'll use the ${toolNames[0]} tool for this.`) });
    }
    for (const name of toolNames) {
      const schema = request.tools.find((tool) => tool.name === name)?.inputSchema;
      const input = sampleFromSchema(schema, random, { requiredOnly: true });
      const json = JSON.stringify(input);
      blocks.push({
        type: 'tool_use',
        id: `toolu_01${randomId(random, 22)}`,
        name,
        input,
        json,
        tokens: estimateTokens(json),
      });
    }
    stopReason = 'tool_use';
  } else {
    let pieces = answerPieces(request, userText, directives, random);
    const stop = findStop(pieces, request.stopSequences, directives.stop);
    if (stop) {
      pieces = stop.pieces;
      stopReason = 'stop_sequence';
      stopSequence = stop.sequence;
    }
    if (pieces.length > 0) blocks.push({ type: 'text', pieces });
    if (directives.finish && STOP_REASONS.includes(directives.finish))
      stopReason = directives.finish as StopReason;
  }
  return truncate(blocks, request.maxTokens, stopReason, stopSequence);
}

function chooseTools(
  request: MessagesRequest,
  userText: string,
  directives: ReturnType<typeof parseDirectives>,
): string[] {
  const { toolChoice, tools } = request;
  if (tools.length === 0 || toolChoice.type === 'none') return [];
  if (toolChoice.type === 'tool' && toolChoice.name) return [toolChoice.name];
  const names = tools.map((tool) => tool.name);
  const answersToolResults = request.messages.at(-1)?.blocks.some((block) => block.type === 'tool_result');
  const asked = answersToolResults && !directives.tool ? [] : requestedTools(userText, names, directives);
  const chosen = toolChoice.type === 'any' && asked.length === 0 ? names.slice(0, 1) : asked;
  return toolChoice.disableParallel ? chosen.slice(0, 1) : chosen;
}

function answerPieces(
  request: MessagesRequest,
  userText: string,
  directives: ReturnType<typeof parseDirectives>,
  random: RandomSource,
): string[] {
  if (directives.echo) {
    const echoed = stripDirectives(userText);
    if (echoed !== '') return splitIntoPieces(echoed);
  }
  if (directives.json || request.outputSchema) {
    const value = sampleFromSchema(request.outputSchema ?? DEFAULT_JSON_SCHEMA, random, {
      requiredOnly: false,
    });
    return splitIntoPieces(JSON.stringify(value));
  }
  if (directives.finish === 'refusal') return splitIntoPieces("I can't help with that request.");
  return generateWordPieces(random, directives.tokens ?? randomInt(random, 20, 60));
}

/** A stop sequence ends the text just before it; `[sim:stop]` forces one half-way. */
function findStop(
  pieces: readonly string[],
  stopSequences: readonly string[],
  forced: boolean,
): { pieces: string[]; sequence: string } | undefined {
  const text = pieces.join('');
  let best: { at: number; sequence: string } | undefined;
  for (const sequence of stopSequences) {
    const at = text.indexOf(sequence);
    if (at >= 0 && (best === undefined || at < best.at)) best = { at, sequence };
  }
  const first = stopSequences[0];
  if (!best && forced && first !== undefined) {
    return { pieces: pieces.slice(0, Math.ceil(pieces.length / 2)), sequence: first };
  }
  if (!best) return undefined;
  const kept: string[] = [];
  let length = 0;
  for (const piece of pieces) {
    if (length + piece.length > best.at) {
      const partial = piece.slice(0, best.at - length);
      if (partial !== '') kept.push(partial);
      break;
    }
    kept.push(piece);
    length += piece.length;
  }
  return { pieces: kept, sequence: best.sequence };
}

/** Applies `max_tokens` to thinking + visible output, as the API counts both. */
function truncate(
  blocks: readonly PlannedBlock[],
  maxTokens: number,
  stopReason: StopReason,
  stopSequence: string | null,
): ResponsePlan {
  const kept: PlannedBlock[] = [];
  let remaining = maxTokens;
  for (const block of blocks) {
    const tokens = block.type === 'tool_use' ? block.tokens : block.pieces.length;
    if (tokens <= remaining) {
      kept.push(block);
      remaining -= tokens;
      continue;
    }
    if (block.type !== 'tool_use' && remaining > 0) {
      kept.push({ ...block, pieces: block.pieces.slice(0, remaining) });
      remaining = 0;
    }
    return {
      blocks: kept,
      stopReason: 'max_tokens',
      stopSequence: null,
      outputTokens: maxTokens - remaining,
    };
  }
  return { blocks: kept, stopReason, stopSequence, outputTokens: maxTokens - remaining };
}
