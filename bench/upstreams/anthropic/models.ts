/**
 * @module The Claude models the simulator knows, with their timing and limits. Unknown ids get a 404 like
 * the real API, so an adapter's model mapping is tested; the numbers are typical observed values, meant
 * to make routing decisions realistic rather than to benchmark Anthropic.
 */
import type { LatencyProfile } from '../shared/latency.js';

/** One simulated Claude model. */
export interface AnthropicModelProfile extends LatencyProfile {
  readonly displayName: string;
  /** RFC 3339, as `GET /v1/models` reports it. */
  readonly createdAt: string;
  /** Largest accepted `max_tokens`. */
  readonly maxOutputTokens: number;
  /** Shortest prefix that prompt caching will store. */
  readonly minCacheableTokens: number;
}

const HAIKU_4_5: AnthropicModelProfile = {
  displayName: 'Claude Haiku 4.5',
  createdAt: '2025-10-15T00:00:00Z',
  ttftMs: 600,
  tokensPerSecond: 140,
  maxOutputTokens: 64_000,
  minCacheableTokens: 4096,
};

const SONNET_4_5: AnthropicModelProfile = {
  displayName: 'Claude Sonnet 4.5',
  createdAt: '2025-09-29T00:00:00Z',
  ttftMs: 1100,
  tokensPerSecond: 70,
  maxOutputTokens: 64_000,
  minCacheableTokens: 1024,
};

const OPUS_4_1: AnthropicModelProfile = {
  displayName: 'Claude Opus 4.1',
  createdAt: '2025-08-05T00:00:00Z',
  ttftMs: 1800,
  tokensPerSecond: 35,
  maxOutputTokens: 32_000,
  minCacheableTokens: 1024,
};

const OPUS_4_5: AnthropicModelProfile = {
  displayName: 'Claude Opus 4.5',
  createdAt: '2025-11-24T00:00:00Z',
  ttftMs: 1500,
  tokensPerSecond: 50,
  maxOutputTokens: 64_000,
  minCacheableTokens: 4096,
};

const SONNET_5_5: AnthropicModelProfile = {
  ...SONNET_4_5,
  displayName: 'Claude Sonnet 5.5',
  createdAt: '2026-09-01T00:00:00Z',
};

/** Aliases and their dated snapshots, as the real API accepts both. */
export const DEFAULT_ANTHROPIC_MODELS: Readonly<Record<string, AnthropicModelProfile>> = {
  'claude-haiku-4-5': HAIKU_4_5,
  'claude-haiku-4-5-20251001': HAIKU_4_5,
  'claude-sonnet-5-5': SONNET_5_5,
  'claude-sonnet-4-5': SONNET_4_5,
  'claude-sonnet-4-5-20250929': SONNET_4_5,
  'claude-opus-4-1': OPUS_4_1,
  'claude-opus-4-1-20250805': OPUS_4_1,
  'claude-opus-4-5': OPUS_4_5,
  'claude-opus-4-5-20251101': OPUS_4_5,
};

/** `GET /v1/models` body: newest first, one page. */
export function modelListBody(models: Readonly<Record<string, AnthropicModelProfile>>): unknown {
  const data = Object.entries(models)
    .map(([id, profile]) => modelInfo(id, profile))
    .sort(
      (left, right) => right.created_at.localeCompare(left.created_at) || left.id.localeCompare(right.id),
    );
  return { data, has_more: false, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null };
}

export function modelInfo(
  id: string,
  profile: AnthropicModelProfile,
): { type: 'model'; id: string; display_name: string; created_at: string } {
  return { type: 'model', id, display_name: profile.displayName, created_at: profile.createdAt };
}
