/**
 * @module gateway/default-local-router
 * The `auto` router used when routing is off: the configured default local model, else the first model
 * the local engine reports. No cloud escalation.
 */
import { GatewayError } from '../errors.js';
import type { AutoRouter } from './plan.js';

export function createDefaultLocalRouter(defaultModel: string | undefined): AutoRouter {
  return async ({ catalog, signal }) => {
    for (const provider of catalog.localProviders) {
      const models = await provider.listModels(signal);
      const name = defaultModel && models.some((model) => model.name === defaultModel) ? defaultModel : models[0]?.name;
      if (name !== undefined) {
        return { attempts: [{ provider, model: name }], routed: true, reason: 'default_local' };
      }
    }
    throw new GatewayError(
      'model_not_found',
      '`auto` found no local model: Ollama has none installed. Pull one with `ollama pull qwen2.5-coder:7b`, or name a cloud model.',
      { param: 'model', code: 'model_not_found' },
    );
  };
}
