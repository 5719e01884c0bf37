/**
 * @module Anthropic's prompt cache, as its documentation describes it: a prefix is cached only up to a
 * block marked with `cache_control`, only when that prefix is at least the model's minimum length, and
 * for a time-to-live (5 minutes, or 1 hour on request) that every read renews. A request reads the
 * longest cached prefix it finds at one of its breakpoints or within the 20 blocks before one, and
 * writes the rest up to its last breakpoint. The usage fields this produces are the ones switchyard
 * prices, so the arithmetic must match the real bill.
 */

/** The end of one prompt block: where a cached prefix can end. */
export interface PrefixPoint {
  /** Identifies the whole prefix up to and including this block (content, order, model). */
  readonly key: string;
  /** Tokens in that prefix. */
  readonly tokens: number;
}

/** A `cache_control` mark, on the block at `index` of the prompt. */
export interface Breakpoint {
  readonly index: number;
  readonly ttl: CacheTtl;
}

export type CacheTtl = '5m' | '1h';

/** What one request did with the cache, in prompt tokens. */
export interface CacheOutcome {
  readonly read: number;
  /** Tokens written, by the TTL of the breakpoint that wrote them. */
  readonly written5m: number;
  readonly written1h: number;
}

export interface PromptCacheOptions {
  /** Milliseconds clock; injected so that tests can expire entries without waiting. */
  readonly now?: () => number;
  /** Divides the TTLs, like every other simulated duration. */
  readonly speedFactor?: number;
}

const TTL_MS: Readonly<Record<CacheTtl, number>> = { '5m': 5 * 60_000, '1h': 60 * 60_000 };
/** How far before a breakpoint the API looks for an earlier cache entry ("about 20 blocks"). */
const LOOKBACK_BLOCKS = 20;
const MAX_ENTRIES = 10_000;

interface Entry {
  expiresAt: number;
  readonly ttlMs: number;
}

export class AnthropicPromptCache {
  readonly #entries = new Map<string, Entry>();
  readonly #now: () => number;
  readonly #speed: number;

  constructor(options: PromptCacheOptions = {}) {
    this.#now = options.now ?? Date.now;
    this.#speed = options.speedFactor && options.speedFactor > 0 ? options.speedFactor : 1;
  }

  /**
   * Looks the request's prefixes up and stores the ones it writes. `points` has one entry per prompt
   * block, in prompt order (tools, system, messages); `breakpoints` are in that order too.
   */
  use(points: readonly PrefixPoint[], breakpoints: readonly Breakpoint[], minTokens: number): CacheOutcome {
    const now = this.#now();
    const hit = this.#longestHit(points, breakpoints, minTokens, now);
    const read = hit === undefined ? 0 : (points[hit]?.tokens ?? 0);
    if (hit !== undefined) this.#renew(points[hit]?.key, now);

    let written5m = 0;
    let written1h = 0;
    let cachedUpTo = read;
    for (const breakpoint of breakpoints) {
      const point = points[breakpoint.index];
      // Shorter prefixes are not cached at all, without error; a prefix already read needs no write.
      if (!point || point.tokens < minTokens || point.tokens <= cachedUpTo) continue;
      if (breakpoint.ttl === '1h') written1h += point.tokens - cachedUpTo;
      else written5m += point.tokens - cachedUpTo;
      cachedUpTo = point.tokens;
      this.#store(point.key, TTL_MS[breakpoint.ttl] / this.#speed, now);
    }
    return { read, written5m, written1h };
  }

  /** Index of the longest live cached prefix, searched from the last breakpoint backwards. */
  #longestHit(
    points: readonly PrefixPoint[],
    breakpoints: readonly Breakpoint[],
    minTokens: number,
    now: number,
  ): number | undefined {
    for (let b = breakpoints.length - 1; b >= 0; b -= 1) {
      const end = breakpoints[b]?.index ?? -1;
      for (let index = end; index >= Math.max(0, end - LOOKBACK_BLOCKS); index -= 1) {
        const point = points[index];
        if (!point || point.tokens < minTokens) break;
        const entry = this.#entries.get(point.key);
        if (entry && entry.expiresAt > now) return index;
      }
    }
    return undefined;
  }

  #renew(key: string | undefined, now: number): void {
    const entry = key === undefined ? undefined : this.#entries.get(key);
    if (entry) entry.expiresAt = now + entry.ttlMs;
  }

  #store(key: string, ttlMs: number, now: number): void {
    if (this.#entries.size >= MAX_ENTRIES) this.#dropExpired(now);
    if (this.#entries.size >= MAX_ENTRIES) this.#entries.clear();
    const existing = this.#entries.get(key);
    // A write never shortens a longer TTL the same prefix already has.
    const expiresAt = Math.max(existing?.expiresAt ?? 0, now + ttlMs);
    this.#entries.set(key, { expiresAt, ttlMs: Math.max(existing?.ttlMs ?? 0, ttlMs) });
  }

  #dropExpired(now: number): void {
    for (const [key, entry] of this.#entries) if (entry.expiresAt <= now) this.#entries.delete(key);
  }
}
