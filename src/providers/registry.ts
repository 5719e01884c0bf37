/**
 * @module providers/registry
 * Builds every provider adapter from the config and the environment. The one place that knows the
 * list of providers; everything else receives adapters and asks them.
 */
import type { Config } from '../config/schema.js';
import { createAnthropicProvider } from './anthropic.js';
import { createGeminiProvider } from './gemini.js';
import { createOllamaProvider } from './ollama/ollama-provider.js';
import type { ProviderAdapter } from './provider.js';

export interface ProviderRegistryOptions {
  config: Config;
  env: Record<string, string | undefined>;
  /** The cloud SDKs' fetch for their API calls. */
  fetch: typeof fetch;
  /** For images given by URL, which may redirect. */
  imageFetch: typeof fetch;
  now: () => number;
  random: () => number;
}

/** Local first: the order is the order of preference when nothing else decides. */
export function createProviders(options: ProviderRegistryOptions): ProviderAdapter[] {
  const { config, env } = options;
  return [
    createOllamaProvider({
      config: config.ollama,
      imageFetch: options.imageFetch,
      now: options.now,
      random: options.random,
    }),
    createAnthropicProvider({ config: config.anthropic, env, fetch: options.fetch }),
    createGeminiProvider({ config: config.gemini, env, fetch: options.fetch }),
  ];
}
