/**
 * @module `cache_control` marks in a Messages request: their validation, with the API's errors (a 5th
 * breakpoint is a 400, whoever placed it), and the TTL each asks for. The cache itself is
 * `prompt-cache.ts`; this module only reads the marks.
 */
import { isObject, type JsonObject } from '../shared/json-object.js';
import { invalidRequest } from './errors.js';
import type { CacheTtl } from './prompt-cache.js';

/** The most breakpoints one request may carry. */
export const MAX_CACHE_BREAKPOINTS = 4;

/** The TTL a validated mark asks for (`5m` unless it says `1h`), or undefined for no mark. */
export function cacheTtlOf(mark: unknown): CacheTtl | undefined {
  if (!isObject(mark)) return undefined;
  return mark.ttl === '1h' ? '1h' : '5m';
}

/**
 * Checks every mark a body carries (top level, tools, system blocks, message content blocks) and their
 * number, as the API does before running the model.
 */
export function validateCacheControl(body: JsonObject): void {
  const marked: Array<{ path: string; mark: unknown }> = [];
  const collect = (path: string, holder: unknown) => {
    if (isObject(holder) && holder.cache_control !== undefined && holder.cache_control !== null) {
      marked.push({ path: `${path}.cache_control`, mark: holder.cache_control });
    }
  };
  collect('', body);
  for (const [index, tool] of listOf(body.tools).entries()) collect(`tools.${index}`, tool);
  for (const [index, block] of listOf(body.system).entries()) collect(`system.${index}`, block);
  for (const [index, message] of listOf(body.messages).entries()) {
    const content = isObject(message) ? listOf(message.content) : [];
    for (const [blockIndex, block] of content.entries()) {
      collect(`messages.${index}.content.${blockIndex}`, block);
    }
  }
  for (const { path, mark } of marked) checkMark(path.replace(/^\./, ''), mark);
  if (marked.length > MAX_CACHE_BREAKPOINTS) {
    throw invalidRequest(
      `A maximum of ${MAX_CACHE_BREAKPOINTS} blocks with cache_control may be provided. Found ${marked.length}.`,
    );
  }
}

function checkMark(path: string, mark: unknown): void {
  if (!isObject(mark)) throw invalidRequest(`${path}: Input should be a valid dictionary`);
  if (mark.type !== 'ephemeral') throw invalidRequest(`${path}.type: Input should be 'ephemeral'`);
  if (mark.ttl !== undefined && mark.ttl !== '5m' && mark.ttl !== '1h') {
    throw invalidRequest(`${path}.ttl: Input should be '5m' or '1h'`);
  }
}

function listOf(value: unknown): readonly unknown[] {
  return Array.isArray(value) ? value : [];
}
