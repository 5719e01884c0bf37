/**
 * @module providers/pricing
 * Cost of a completion from per-million-token prices, shared by the cloud adapters so that every
 * provider prices usage the same way. A prompt splits three ways: tokens read from the provider's prompt
 * cache, tokens written to it, and the rest at the input price. What a cache read or write costs is the
 * model's configured price when set, else the provider's published ratio to the input price, which each
 * adapter passes in: the rule belongs to the provider, the arithmetic to this module.
 */
import type { CloudModelConfig } from '../config/schema.js';
import type { Usage } from './provider.js';

/** A provider's cache prices as multiples of its input price, used where the config sets none. */
export interface CachePriceRatios {
  /** A prompt token served from the cache. */
  readonly read: number;
  /** A prompt token written to the cache. */
  readonly write: number;
}

/** Dollars for `usage` on `model`, or undefined when the model has no configured price. */
export function costFromConfiguredPrice(
  models: readonly CloudModelConfig[],
  model: string,
  usage: Usage,
  cacheRatios: CachePriceRatios,
): number | undefined {
  const price = models.find((candidate) => candidate.name === model)?.price;
  if (!price) return undefined;
  const cacheRead = usage.cachedPromptTokens ?? 0;
  const cacheWrite = usage.cacheWritePromptTokens ?? 0;
  // Never negative, even if an upstream reported more cached tokens than prompt tokens.
  const uncached = Math.max(0, usage.promptTokens - cacheRead - cacheWrite);
  const readPrice = price.cache_read_per_million ?? price.input_per_million * cacheRatios.read;
  const writePrice = price.cache_write_per_million ?? price.input_per_million * cacheRatios.write;
  return (
    (uncached * price.input_per_million +
      cacheRead * readPrice +
      cacheWrite * writePrice +
      usage.completionTokens * price.output_per_million) /
    1_000_000
  );
}
