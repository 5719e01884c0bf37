/**
 * @module Input-side usage of a Messages request: tokens at ~4 characters each, split like the real
 * bill into uncached input, cache writes and cache reads at `cache_control` breakpoints (prompt order:
 * tools, system, messages).
 */
import { createHash } from 'node:crypto';
import { isObject, type JsonObject } from '../shared/json-object.js';
import { estimateTokens } from '../shared/text-generator.js';
import { cacheTtlOf } from './cache-control.js';
import type { AnthropicPromptCache, Breakpoint, PrefixPoint } from './prompt-cache.js';
import type { MessagesRequest } from './request-types.js';

/** Images are billed by size; the simulator cannot see pixels, so every image costs about one megapixel. */
const IMAGE_TOKENS = 1600;

export interface InputUsage {
  /** Prompt tokens after the last breakpoint: neither read from nor written to the cache. */
  readonly inputTokens: number;
  readonly cacheCreationInputTokens: number;
  readonly cacheReadInputTokens: number;
  /** `cache_creation` in the usage object: the writes by TTL. */
  readonly cacheCreation: { readonly ephemeral5m: number; readonly ephemeral1h: number };
}

/** One prompt block as the cache sees it: what identifies it, what it costs, and its mark if any. */
interface Segment {
  /** Kind and content, without the `cache_control` mark (moving a mark does not change the prefix). */
  readonly identity: string;
  readonly tokens: number;
  readonly source: JsonObject;
}

/** All input tokens of a request, as `count_tokens` reports them. */
export function countInputTokens(request: MessagesRequest): number {
  return segmentsOf(request).reduce((sum, entry) => sum + entry.tokens, 0);
}

export function countInput(
  request: MessagesRequest,
  cache: AnthropicPromptCache,
  minCacheableTokens: number,
): InputUsage {
  const segments = segmentsOf(request);
  const total = segments.reduce((sum, entry) => sum + entry.tokens, 0);
  const breakpoints: Breakpoint[] = [];
  segments.forEach((entry, index) => {
    const ttl = cacheTtlOf(entry.source.cache_control);
    if (ttl) breakpoints.push({ index, ttl });
  });
  // Top-level `cache_control` (automatic caching) marks the last block of the prompt.
  const automatic = cacheTtlOf(request.cacheControl);
  if (automatic && segments.length > 0 && breakpoints.at(-1)?.index !== segments.length - 1) {
    breakpoints.push({ index: segments.length - 1, ttl: automatic });
  }
  const outcome = cache.use(prefixPoints(request.model, segments), breakpoints, minCacheableTokens);
  const written = outcome.written5m + outcome.written1h;
  return {
    inputTokens: total - written - outcome.read,
    cacheCreationInputTokens: written,
    cacheReadInputTokens: outcome.read,
    cacheCreation: { ephemeral5m: outcome.written5m, ephemeral1h: outcome.written1h },
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

function segmentsOf(request: MessagesRequest): Segment[] {
  return [
    ...request.tools.map((tool) => segment('tool', JSON.stringify(withoutMark(tool.raw)), tool.raw)),
    ...request.system.map((block) => segment('system', String(block.text), block)),
    ...request.messages.flatMap((message) =>
      message.blocks.map((block) => blockSegment(message.role, block)),
    ),
  ];
}

/** A running hash of the prompt, so that each block's key names everything up to it. */
function prefixPoints(model: string, segments: readonly Segment[]): PrefixPoint[] {
  const hash = createHash('sha256').update(model);
  let tokens = 0;
  return segments.map((entry) => {
    hash.update(JSON.stringify(entry.identity));
    tokens += entry.tokens;
    return { key: hash.copy().digest('base64'), tokens };
  });
}

function blockSegment(role: string, block: JsonObject): Segment {
  const kind = `${role}:${String(block.type)}`;
  switch (block.type) {
    case 'text':
      return segment(kind, String(block.text), block);
    case 'image':
      return { identity: `${kind}\n${JSON.stringify(block.source)}`, tokens: IMAGE_TOKENS, source: block };
    case 'tool_use':
      return segment(kind, `${String(block.name)} ${JSON.stringify(block.input)}`, block);
    case 'tool_result':
      return segment(
        kind,
        typeof block.content === 'string' ? block.content : JSON.stringify(block.content ?? ''),
        block,
      );
    case 'thinking':
      return segment(kind, String(block.thinking), block);
    default:
      return segment(kind, JSON.stringify(withoutMark(block)), block);
  }
}

function segment(kind: string, text: string, source: JsonObject): Segment {
  return { identity: `${kind}\n${text}`, tokens: estimateTokens(text), source };
}

function withoutMark(block: JsonObject): JsonObject {
  if (!isObject(block.cache_control)) return block;
  const { cache_control: _mark, ...rest } = block;
  return rest;
}
