/**
 * @module Prompt-side usage of a Gemini request: ~4 characters per token, 258 tokens per inline image
 * (the service's figure for a small image), split by modality, plus implicit-cache hits on a repeated
 * prefix (everything before the last turn), reported as `cachedContentTokenCount`.
 */
import type { PromptCache } from '../shared/prompt-cache.js';
import { estimateTokens } from '../shared/text-generator.js';
import type { GeminiContent, GeminiPart, GenerateContentRequest } from './request-types.js';

const MEDIA_TOKENS = 258;

export interface PromptUsage {
  readonly promptTokenCount: number;
  readonly cachedContentTokenCount: number;
  readonly promptTokensDetails: ReadonlyArray<{ readonly modality: string; readonly tokenCount: number }>;
}

export function countPrompt(
  request: GenerateContentRequest,
  model: string,
  cache: PromptCache,
  minCacheableTokens: number,
): PromptUsage {
  const contents = request.contents ?? [];
  const head: GeminiContent[] = request.systemInstruction ? [request.systemInstruction] : [];
  const toolsText = request.tools ? JSON.stringify(request.tools) : '';
  const prefix = [...head, ...contents.slice(0, -1)];
  const prefixTokens = estimateTokens(toolsText) + sum(prefix.map((content) => contentTokens(content).total));
  const prefixKey = `${model}\n${toolsText}\n${JSON.stringify(prefix)}`;
  let text = estimateTokens(toolsText);
  let media = 0;
  for (const content of [...head, ...contents]) {
    const tokens = contentTokens(content);
    text += tokens.text;
    media += tokens.media;
  }
  const details = [{ modality: 'TEXT', tokenCount: text }];
  if (media > 0) details.push({ modality: 'IMAGE', tokenCount: media });
  const cached = contents.length > 1 ? cache.use(prefixKey, prefixTokens, minCacheableTokens).read : 0;
  return { promptTokenCount: text + media, cachedContentTokenCount: cached, promptTokensDetails: details };
}

/** Plain text of the last user turn, where directives and tool cues are read. */
export function lastUserText(request: GenerateContentRequest): string {
  const last = [...(request.contents ?? [])].reverse().find((content) => content.role !== 'model');
  return (last?.parts ?? [])
    .map((part) => (part.thought ? '' : (part.text ?? '')))
    .filter((text) => text !== '')
    .join('\n');
}

function contentTokens(content: GeminiContent): { text: number; media: number; total: number } {
  let text = 0;
  let media = 0;
  for (const part of content.parts ?? []) {
    if (part.inlineData || part.fileData) media += MEDIA_TOKENS;
    else text += estimateTokens(partText(part));
  }
  return { text, media, total: text + media };
}

function partText(part: GeminiPart): string {
  if (part.text !== undefined) return part.text;
  if (part.functionCall) return JSON.stringify(part.functionCall);
  if (part.functionResponse) return JSON.stringify(part.functionResponse);
  return JSON.stringify(part);
}

function sum(values: readonly number[]): number {
  return values.reduce((total, value) => total + value, 0);
}
