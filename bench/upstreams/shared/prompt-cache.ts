/**
 * @module Prompt-prefix caching as the providers bill it: the first request with a long enough prefix
 * writes the cache, later ones with the same prefix read it. switchyard reports cached tokens and cost,
 * so the simulators must produce the usage fields that exercise that code.
 */
import { hashString } from './seeded-random.js';

export interface CacheUse {
  /** Prefix tokens written to the cache by this request. */
  readonly written: number;
  /** Prefix tokens served from the cache. */
  readonly read: number;
}

const NO_CACHE: CacheUse = { written: 0, read: 0 };
const MAX_ENTRIES = 1000;

export class PromptCache {
  readonly #seen = new Set<number>();

  /** Prefixes shorter than `minTokens` are not cached at all, as with the real services. */
  use(prefixKey: string, prefixTokens: number, minTokens: number): CacheUse {
    if (prefixKey === '' || prefixTokens < minTokens) return NO_CACHE;
    const key = hashString(prefixKey);
    if (this.#seen.has(key)) return { written: 0, read: prefixTokens };
    if (this.#seen.size >= MAX_ENTRIES) this.#seen.clear();
    this.#seen.add(key);
    return { written: prefixTokens, read: 0 };
  }
}
