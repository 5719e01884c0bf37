/**
 * @module providers/pricing
 * Cost of a completion from per-million-token prices, shared by the cloud adapters so that every
 * provider prices usage the same way (cached prompt tokens are billed as ordinary input here: the
 * config has one input price; a provider's cache discount is a refinement for later).
 */
import type { CloudModelConfig } from '../config/schema.js';
import type { Usage } from './provider.js';

export function costFromConfiguredPrice(
  models: readonly CloudModelConfig[],
  model: string,
  usage: Usage,
): number | undefined {
  const price = models.find((candidate) => candidate.name === model)?.price;
  if (!price) return undefined;
  return (
    (usage.promptTokens * price.input_per_million + usage.completionTokens * price.output_per_million) /
    1_000_000
  );
}
