/**
 * @module gateway/model-catalog
 * Model ids as clients send them, resolved to a provider and an upstream model: `provider/name`,
 * aliases from the config, a bare Ollama model name, and `auto`. Generic over providers: the id prefix
 * is the adapter's own `id`, and which provider a bare name belongs to is asked of the local adapters.
 */
import type { RoutedAliasConfig } from '../config/schema.js';
import { GatewayError } from '../errors.js';
import type { ProviderAdapter } from '../providers/provider.js';

export type ResolvedModel =
  | { kind: 'auto'; alias?: string; aliasSettings?: RoutedAliasConfig }
  | { kind: 'model'; provider: ProviderAdapter; model: string; alias?: string };

export interface CatalogEntry {
  id: string;
  provider: string;
  locality: 'local' | 'cloud';
  contextLength?: number;
}

/** The id that routes a request: the client leaves the choice to switchyard. */
export const autoModelId = 'auto';

export class ModelCatalog {
  private readonly byId: Map<string, ProviderAdapter>;

  constructor(
    readonly providers: readonly ProviderAdapter[],
    private readonly aliases: Readonly<Record<string, string | RoutedAliasConfig>>,
  ) {
    this.byId = new Map(providers.map((provider) => [provider.id, provider]));
  }

  provider(id: string): ProviderAdapter | undefined {
    return this.byId.get(id);
  }

  get localProviders(): ProviderAdapter[] {
    return this.providers.filter((provider) => provider.locality === 'local');
  }

  get cloudProviders(): ProviderAdapter[] {
    return this.providers.filter((provider) => provider.locality === 'cloud');
  }

  async resolve(id: string, signal?: AbortSignal): Promise<ResolvedModel> {
    let target = id;
    let alias: string | undefined;
    let aliasSettings: RoutedAliasConfig | undefined;
    // Aliases may point at other aliases; a short bound stops cycles.
    for (let depth = 0; depth < 5 && this.aliases[target] !== undefined; depth++) {
      alias ??= target;
      const entry = this.aliases[target]!;
      if (typeof entry === 'string') target = entry;
      else {
        aliasSettings ??= entry;
        target = entry.model;
      }
    }
    const withAlias = alias !== undefined ? { alias } : {};
    if (target === autoModelId)
      return { kind: 'auto', ...withAlias, ...(aliasSettings ? { aliasSettings } : {}) };

    const slash = target.indexOf('/');
    if (slash > 0) {
      const provider = this.byId.get(target.slice(0, slash));
      if (provider) return { kind: 'model', provider, model: target.slice(slash + 1), ...withAlias };
    }
    // A bare name (`qwen2.5-coder:7b`) belongs to whichever local engine has it.
    const unreachable: GatewayError[] = [];
    for (const provider of this.localProviders) {
      try {
        const models = await provider.listModels(signal);
        if (models.some((model) => model.name === target || model.name === `${target}:latest`)) {
          const name = models.some((model) => model.name === target) ? target : `${target}:latest`;
          return { kind: 'model', provider, model: name, ...withAlias };
        }
      } catch (error) {
        if (error instanceof GatewayError && error.kind === 'unreachable') unreachable.push(error);
        else throw error;
      }
    }
    // If the only place it could be is down, say that rather than "not found".
    if (unreachable.length > 0 && unreachable.length === this.localProviders.length) throw unreachable[0];
    const prefixes = this.providers.map((provider) => `${provider.id}/<model>`).join(', ');
    throw new GatewayError(
      'model_not_found',
      `The model \`${id}\` does not exist here. Use \`auto\`, an id listed at GET /v1/models, or ${prefixes}.`,
      { param: 'model', code: 'model_not_found' },
    );
  }

  /** Every model a client can ask for right now: `auto`, aliases, and each enabled provider's models. */
  async list(signal?: AbortSignal): Promise<CatalogEntry[]> {
    const entries: CatalogEntry[] = [];
    const perProvider = await Promise.all(
      this.providers.map(async (provider) => {
        if (provider.disabledReason !== undefined) return [];
        try {
          return (await provider.listModels(signal)).map((model) => ({
            id: `${provider.id}/${model.name}`,
            provider: provider.id,
            locality: provider.locality,
            ...(model.contextLength !== undefined ? { contextLength: model.contextLength } : {}),
          }));
        } catch {
          // A provider that is down lists nothing; /health says why.
          return [];
        }
      }),
    );
    for (const list of perProvider) entries.push(...list);
    return entries;
  }

  aliasNames(): string[] {
    return Object.keys(this.aliases);
  }
}
