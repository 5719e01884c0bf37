/**
 * @module Turns candidate plans into `GenerateContentResponse` JSON: one object, or the chunks of a
 * stream. Every chunk carries cumulative `usageMetadata`, `modelVersion` and `responseId`; the last one
 * carries `finishReason`; a function call arrives whole in one chunk. Zero counts are omitted, as
 * proto3 JSON omits them, so adapters must treat a missing count as 0.
 */
import type { PromptUsage } from './count-prompt.js';
import { type CandidatePlan, type PlannedItem, WITHHELD } from './plan-response.js';

export interface ResponseIdentity {
  readonly modelVersion: string;
  readonly responseId: string;
}

/** One streamed chunk and the output tokens (thoughts included) generated before it goes out. */
export interface ResponseChunk {
  readonly data: Readonly<Record<string, unknown>>;
  readonly afterTokens: number;
}

export function encodeResponse(
  plans: readonly CandidatePlan[],
  prompt: PromptUsage,
  identity: ResponseIdentity,
): Record<string, unknown> {
  const candidates = plans.map((plan, index) => {
    if (WITHHELD.has(plan.finishReason)) return { finishReason: plan.finishReason, index };
    const thoughts =
      plan.thoughtPieces.length > 0 ? [{ text: plan.thoughtPieces.join(''), thought: true }] : [];
    return {
      content: content([...thoughts, ...plan.items.map((item, itemIndex) => part(item, itemIndex, plan))]),
      finishReason: plan.finishReason,
      index,
      ...finishMessage(plan),
    };
  });
  const visible = plans.reduce((sum, plan) => sum + plan.visibleTokens, 0);
  const thoughts = plans.reduce((sum, plan) => sum + plan.thoughtTokens, 0);
  return { candidates, usageMetadata: usage(prompt, visible, thoughts), ...identity };
}

export function encodeChunks(
  plan: CandidatePlan,
  prompt: PromptUsage,
  identity: ResponseIdentity,
  tokensPerChunk: number,
): ResponseChunk[] {
  const chunks: Array<{ candidate: Record<string, unknown>; thoughts: number; visible: number }> = [];
  let thoughts = 0;
  let visible = 0;
  for (const group of batches(plan.thoughtPieces, tokensPerChunk)) {
    thoughts += group.length;
    chunks.push({
      candidate: { content: content([{ text: group.join(''), thought: true }]), index: 0 },
      thoughts,
      visible,
    });
  }
  thoughts = plan.thoughtTokens;
  for (const item of plan.items) {
    if (item.kind !== 'text') continue;
    for (const group of batches(item.pieces, tokensPerChunk)) {
      visible += group.length;
      chunks.push({
        candidate: { content: content([{ text: group.join('') }]), index: 0 },
        thoughts,
        visible,
      });
    }
  }
  // A turn's function calls arrive whole, together, in one chunk.
  const calls = plan.items.flatMap((item, index) =>
    item.kind === 'functionCall' ? [part(item, index, plan)] : [],
  );
  if (calls.length > 0) {
    visible = plan.visibleTokens;
    chunks.push({ candidate: { content: content(calls), index: 0 }, thoughts, visible });
  }
  const last = chunks.at(-1);
  if (last && !WITHHELD.has(plan.finishReason)) {
    Object.assign(last.candidate, { finishReason: plan.finishReason, ...finishMessage(plan) });
  } else {
    const candidate = WITHHELD.has(plan.finishReason)
      ? { finishReason: plan.finishReason, index: 0 }
      : { content: content([]), finishReason: plan.finishReason, index: 0 };
    chunks.push({ candidate, thoughts: plan.thoughtTokens, visible: plan.visibleTokens });
  }
  return chunks.map((chunk) => ({
    data: {
      candidates: [chunk.candidate],
      usageMetadata: usage(prompt, chunk.visible, chunk.thoughts),
      ...identity,
    },
    afterTokens: chunk.thoughts + chunk.visible,
  }));
}

function content(parts: ReadonlyArray<Record<string, unknown>>): Record<string, unknown> {
  return parts.length > 0 ? { parts, role: 'model' } : { role: 'model' };
}

function part(item: PlannedItem, index: number, plan: CandidatePlan): Record<string, unknown> {
  if (item.kind === 'text') return { text: item.pieces.join('') };
  const firstCall = plan.items.findIndex((entry) => entry.kind === 'functionCall') === index;
  const signature = firstCall && plan.thoughtSignature ? { thoughtSignature: plan.thoughtSignature } : {};
  return { functionCall: { name: item.name, args: item.args }, ...signature };
}

function finishMessage(plan: CandidatePlan): Record<string, string> {
  const calls = plan.items.some((item) => item.kind === 'functionCall');
  return calls && plan.finishReason === 'STOP' ? { finishMessage: 'Model generated function call(s).' } : {};
}

function usage(prompt: PromptUsage, visible: number, thoughts: number): Record<string, unknown> {
  const result: Record<string, unknown> = { promptTokenCount: prompt.promptTokenCount };
  if (visible > 0) result.candidatesTokenCount = visible;
  result.totalTokenCount = prompt.promptTokenCount + visible + thoughts;
  if (prompt.cachedContentTokenCount > 0) result.cachedContentTokenCount = prompt.cachedContentTokenCount;
  result.promptTokensDetails = prompt.promptTokensDetails;
  if (prompt.cachedContentTokenCount > 0) {
    result.cacheTokensDetails = [{ modality: 'TEXT', tokenCount: prompt.cachedContentTokenCount }];
  }
  if (thoughts > 0) result.thoughtsTokenCount = thoughts;
  return result;
}

function batches(pieces: readonly string[], size: number): string[][] {
  const result: string[][] = [];
  for (let index = 0; index < pieces.length; index += Math.max(1, size)) {
    result.push(pieces.slice(index, index + Math.max(1, size)));
  }
  return result;
}
