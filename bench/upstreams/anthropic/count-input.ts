/**
 * @module Input-side usage of a Messages request: tokens at ~4 characters each, split like the real
 * bill into uncached input, cache writes and cache reads at `cache_control` breakpoints (prompt order:
 * tools, system, messages).
 */
import { isObject, type JsonObject } from '../shared/json-object.js';
import type { PromptCache } from '../shared/prompt-cache.js';
import { estimateTokens } from '../shared/text-generator.js';
import type { MessagesRequest } from './request-types.js';

/** Images are billed by size; the simulator cannot see pixels, so every image costs about one megapixel. */
const IMAGE_TOKENS = 1600;

export interface InputUsage {
  readonly inputTokens: number;
  readonly cacheCreationInputTokens: number;
  readonly cacheReadInputTokens: number;
}

interface Segment {
  readonly text: string;
  readonly tokens: number;
  readonly breakpoint: boolean;
}

export function countInput(
  request: MessagesRequest,
  cache: PromptCache,
  minCacheableTokens: number,
): InputUsage {
  const segments: Segment[] = [
    ...request.tools.map((tool) => segment(JSON.stringify(tool.raw), tool.raw)),
    ...request.system.map((block) => segment(String(block.text), block)),
    ...request.messages.flatMap((message) => message.blocks.map((block) => blockSegment(block))),
  ];
  const total = segments.reduce((sum, entry) => sum + entry.tokens, 0);
  let lastBreakpoint = -1;
  segments.forEach((entry, index) => {
    if (entry.breakpoint) lastBreakpoint = index;
  });
  if (request.cacheWholePrompt) lastBreakpoint = segments.length - 1;
  const prefix = segments.slice(0, lastBreakpoint + 1);
  const prefixTokens = prefix.reduce((sum, entry) => sum + entry.tokens, 0);
  const prefixKey =
    prefix.length === 0 ? '' : `${request.model}\n${prefix.map((entry) => entry.text).join('\n')}`;
  const use = cache.use(prefixKey, prefixTokens, minCacheableTokens);
  return {
    inputTokens: total - use.written - use.read,
    cacheCreationInputTokens: use.written,
    cacheReadInputTokens: use.read,
  };
}

/** Plain text of the last user turn (text blocks only), where directives and tool cues are read. */
export function lastUserText(request: MessagesRequest): string {
  const last = [...request.messages].reverse().find((message) => message.role === 'user');
  return (last?.blocks ?? [])
    .filter((block) => block.type === 'text')
    .map((block) => String(block.text))
    .join('\n');
}

function blockSegment(block: JsonObject): Segment {
  switch (block.type) {
    case 'text':
      return segment(String(block.text), block);
    case 'image':
      return {
        text: JSON.stringify(block.source),
        tokens: IMAGE_TOKENS,
        breakpoint: isObject(block.cache_control),
      };
    case 'tool_use':
      return segment(`${String(block.name)} ${JSON.stringify(block.input)}`, block);
    case 'tool_result':
      return segment(
        typeof block.content === 'string' ? block.content : JSON.stringify(block.content ?? ''),
        block,
      );
    case 'thinking':
      return segment(String(block.thinking), block);
    default:
      return segment(JSON.stringify(block), block);
  }
}

function segment(text: string, source: JsonObject): Segment {
  return { text, tokens: estimateTokens(text), breakpoint: isObject(source.cache_control) };
}
