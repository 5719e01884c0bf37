/**
 * @module test/gateway/model-catalog
 * Model ids as clients send them, resolved against fake adapters: `provider/name`, aliases (plain and
 * with routing settings, chained, cyclic), bare local names, `auto`, and the errors that say what to do.
 */
import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../src/errors.js';
import { ModelCatalog } from '../../src/gateway/model-catalog.js';
import type { ProviderAdapter, ProviderModel } from '../../src/providers/provider.js';

interface FakeOptions {
  locality?: 'local' | 'cloud';
  models?: ProviderModel[];
  disabledReason?: string;
  fails?: () => Error;
}

function fakeProvider(id: string, options: FakeOptions = {}): ProviderAdapter & { listCalls: number } {
  const provider = {
    id,
    locality: options.locality ?? 'cloud',
    disabledReason: options.disabledReason,
    listCalls: 0,
    listModels: async () => {
      provider.listCalls++;
      if (options.fails) throw options.fails();
      return options.models ?? [];
    },
    health: async () => ({ status: 'ready' as const }),
    chat: () => {
      throw new Error('not used');
    },
    costOf: () => undefined,
  };
  return provider;
}

const unreachable = () =>
  new GatewayError('unreachable', 'Ollama is not reachable — start it with `ollama serve`');

function catalog(
  options: { ollama?: FakeOptions; aliases?: ConstructorParameters<typeof ModelCatalog>[1] } = {},
) {
  const ollama = fakeProvider('ollama', {
    locality: 'local',
    models: [
      { name: 'qwen2.5-coder:7b', contextLength: 32_768 },
      { name: 'llama3.2:latest' },
      { name: 'hf.co/org/m:Q4' },
    ],
    ...options.ollama,
  });
  const anthropic = fakeProvider('anthropic', {
    models: [{ name: 'claude-haiku-4-5', contextLength: 200_000 }],
  });
  const gemini = fakeProvider('gemini', {
    disabledReason: 'no GEMINI_API_KEY',
    models: [{ name: 'gemini-2.5-flash' }],
  });
  return {
    ollama,
    anthropic,
    gemini,
    models: new ModelCatalog([ollama, anthropic, gemini], options.aliases ?? {}),
  };
}

async function rejection(promise: Promise<unknown>): Promise<GatewayError> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(GatewayError);
  return error as GatewayError;
}

describe('ModelCatalog.resolve', () => {
  it('resolves a provider prefix without asking the provider', async () => {
    const { models, anthropic, ollama } = catalog();
    await expect(models.resolve('anthropic/claude-haiku-4-5')).resolves.toEqual({
      kind: 'model',
      provider: anthropic,
      model: 'claude-haiku-4-5',
    });
    // Everything after the first slash is the upstream name, slashes included.
    await expect(models.resolve('ollama/hf.co/org/m:Q4')).resolves.toMatchObject({
      provider: ollama,
      model: 'hf.co/org/m:Q4',
    });
    expect(anthropic.listCalls + ollama.listCalls).toBe(0);
  });

  it('resolves auto', async () => {
    await expect(catalog().models.resolve('auto')).resolves.toEqual({ kind: 'auto' });
  });

  it('resolves a string alias and keeps its name', async () => {
    const { models, anthropic } = catalog({ aliases: { smart: 'anthropic/claude-haiku-4-5' } });
    await expect(models.resolve('smart')).resolves.toEqual({
      kind: 'model',
      provider: anthropic,
      model: 'claude-haiku-4-5',
      alias: 'smart',
    });
  });

  it('resolves an alias with routing settings to auto with those settings', async () => {
    const fast = { model: 'auto', ttft_deadline_ms: 800, local_only: true };
    const { models } = catalog({ aliases: { fast } });
    await expect(models.resolve('fast')).resolves.toEqual({
      kind: 'auto',
      alias: 'fast',
      aliasSettings: fast,
    });
  });

  it('follows chained aliases, keeping the first name and the first settings', async () => {
    const outer = { model: 'middle', ttft_deadline_ms: 500 };
    const { models } = catalog({
      aliases: {
        outer,
        middle: { model: 'inner', ttft_deadline_ms: 9000 },
        inner: 'auto',
        coder: 'local-coder',
        'local-coder': 'qwen2.5-coder:7b',
      },
    });
    await expect(models.resolve('outer')).resolves.toEqual({
      kind: 'auto',
      alias: 'outer',
      aliasSettings: outer,
    });
    await expect(models.resolve('coder')).resolves.toMatchObject({
      kind: 'model',
      model: 'qwen2.5-coder:7b',
      alias: 'coder',
    });
  });

  it('stops an alias cycle and reports the model as not found', async () => {
    const { models } = catalog({ aliases: { a: 'b', b: 'a' } });
    const error = await rejection(models.resolve('a'));
    expect(error).toMatchObject({ kind: 'model_not_found', status: 404, param: 'model' });
    expect(error.message).toContain('`a`');
  });

  it('resolves a bare local name, and a name without tag to its :latest', async () => {
    const { models, ollama } = catalog();
    await expect(models.resolve('qwen2.5-coder:7b')).resolves.toEqual({
      kind: 'model',
      provider: ollama,
      model: 'qwen2.5-coder:7b',
    });
    await expect(models.resolve('llama3.2')).resolves.toMatchObject({
      provider: ollama,
      model: 'llama3.2:latest',
    });
    await expect(models.resolve('llama3.2:latest')).resolves.toMatchObject({ model: 'llama3.2:latest' });
    await expect(models.resolve('hf.co/org/m:Q4')).resolves.toMatchObject({
      provider: ollama,
      model: 'hf.co/org/m:Q4',
    });
  });

  it('prefers an exact name over its :latest form', async () => {
    const { models } = catalog({ ollama: { models: [{ name: 'phi:latest' }, { name: 'phi' }] } });
    await expect(models.resolve('phi')).resolves.toMatchObject({ model: 'phi' });
  });

  it('answers an unknown model with a 404 that lists the prefixes', async () => {
    const error = await rejection(catalog().models.resolve('gpt-4o'));
    expect(error).toMatchObject({
      kind: 'model_not_found',
      status: 404,
      param: 'model',
      code: 'model_not_found',
    });
    expect(error.message).toContain('`gpt-4o`');
    expect(error.message).toContain('auto');
    for (const prefix of ['ollama/<model>', 'anthropic/<model>', 'gemini/<model>']) {
      expect(error.message).toContain(prefix);
    }
  });

  it('treats an unknown prefix as a bare name', async () => {
    const error = await rejection(catalog().models.resolve('openai/gpt-4o'));
    expect(error.kind).toBe('model_not_found');
  });

  it('says the local engine is unreachable rather than "not found" for a bare name', async () => {
    const { models } = catalog({ ollama: { fails: unreachable } });
    const error = await rejection(models.resolve('qwen2.5-coder:7b'));
    expect(error.kind).toBe('unreachable');
    expect(error.message).toContain('ollama serve');
  });

  it('rethrows other failures of the local engine', async () => {
    const { models } = catalog({ ollama: { fails: () => new GatewayError('authentication', 'bad token') } });
    expect((await rejection(models.resolve('qwen'))).kind).toBe('authentication');
  });

  it('passes the signal to the local engine', async () => {
    const { models, ollama } = catalog();
    let seen: AbortSignal | undefined;
    ollama.listModels = async (signal) => {
      seen = signal;
      return [];
    };
    const controller = new AbortController();
    await models.resolve('x', controller.signal).catch(() => undefined);
    expect(seen).toBe(controller.signal);
  });
});

describe('ModelCatalog.list', () => {
  it('lists enabled providers with prefixed ids, skipping disabled and failing ones', async () => {
    const { models, gemini } = catalog();
    expect(await models.list()).toEqual([
      { id: 'ollama/qwen2.5-coder:7b', provider: 'ollama', locality: 'local', contextLength: 32_768 },
      { id: 'ollama/llama3.2:latest', provider: 'ollama', locality: 'local' },
      { id: 'ollama/hf.co/org/m:Q4', provider: 'ollama', locality: 'local' },
      { id: 'anthropic/claude-haiku-4-5', provider: 'anthropic', locality: 'cloud', contextLength: 200_000 },
    ]);
    expect(gemini.listCalls).toBe(0);
    const down = catalog({ ollama: { fails: unreachable } });
    expect((await down.models.list()).map((entry) => entry.id)).toEqual(['anthropic/claude-haiku-4-5']);
  });

  it('exposes aliases and the providers by locality', () => {
    const { models, ollama, anthropic, gemini } = catalog({
      aliases: { fast: 'auto', smart: 'anthropic/x' },
    });
    expect(models.aliasNames()).toEqual(['fast', 'smart']);
    expect(models.localProviders).toEqual([ollama]);
    expect(models.cloudProviders).toEqual([anthropic, gemini]);
    expect(models.provider('anthropic')).toBe(anthropic);
    expect(models.provider('openai')).toBeUndefined();
  });
});
