/**
 * @module test/e2e/gateway-discovery
 * What a client or an operator can ask before chatting: `/v1/models` through the SDK (auto, the
 * aliases, every simulated Ollama model as `ollama/<name>`, no cloud model without a key) and
 * `/health` (Ollama ready, its version and loaded models).
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultSimulatedModels, simulatedOllamaVersion } from '../../bench/upstreams/ollama/index.js';
import { type Harness, startHarness } from '../support/harness.js';

let harness: Harness;

beforeAll(async () => {
  harness = await startHarness();
});

afterAll(async () => {
  await harness?.close();
});

interface HealthBody {
  status: string;
  providers: Record<
    string,
    {
      status: string;
      locality: string;
      version?: string;
      message?: string;
      loadedModels?: Array<{
        name: string;
        contextLength?: number;
        sizeVramBytes?: number;
        expiresAt?: string;
      }>;
    }
  >;
}

async function health(): Promise<HealthBody> {
  const response = await fetch(`${harness.url}/health`);
  expect(response.status).toBe(200);
  return (await response.json()) as HealthBody;
}

describe('/v1/models', () => {
  it('lists auto, the aliases and every Ollama model as ollama/<name>, in the OpenAI list shape', async () => {
    const page = await harness.openai.models.list();
    const ids = page.data.map((model) => model.id);
    expect(ids[0]).toBe('auto');
    for (const spec of defaultSimulatedModels) expect(ids).toContain(`ollama/${spec.name}`);
    expect(ids.filter((id) => id.startsWith('ollama/'))).toHaveLength(defaultSimulatedModels.length);
    for (const alias of Object.keys(harness.config.aliases)) expect(ids).toContain(alias);
    // No key, no cloud models.
    expect(ids.some((id) => id.startsWith('anthropic/') || id.startsWith('gemini/'))).toBe(false);
    expect(new Set(ids).size).toBe(ids.length);
    for (const model of page.data) {
      expect(model.object).toBe('model');
      expect(Number.isInteger(model.created)).toBe(true);
      expect(model.owned_by).toBe(model.id.startsWith('ollama/') ? 'ollama' : 'switchyard');
    }
  });

  it('every listed Ollama id can be used as a model', async () => {
    const page = await harness.openai.models.list();
    const id = page.data.find((model) => model.id.startsWith('ollama/'))!.id;
    const completion = await harness.openai.chat.completions.create({
      model: id,
      messages: [{ role: 'user', content: 'hi [sim:tokens=1]' }],
    });
    expect(completion.model).toBe(id);
  });

  it('retrieves one model, and 404s an unknown one', async () => {
    const model = await harness.openai.models.retrieve('ollama/llama3.2:3b');
    expect(model).toMatchObject({ id: 'ollama/llama3.2:3b', object: 'model', owned_by: 'ollama' });
    const auto = await harness.openai.models.retrieve('auto');
    expect(auto).toMatchObject({ id: 'auto', owned_by: 'switchyard' });
    const error = await harness.openai.models.retrieve('nope').catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(OpenAI.NotFoundError);
    expect(error).toMatchObject({ code: 'model_not_found' });
  });
});

describe('/health', () => {
  it('reports Ollama ready with its version, and the cloud providers disabled with the reason', async () => {
    const body = await health();
    expect(body.status).toBe('ok');
    expect(body.providers.ollama).toMatchObject({
      status: 'ready',
      locality: 'local',
      version: simulatedOllamaVersion,
    });
    for (const cloud of ['anthropic', 'gemini']) {
      expect(body.providers[cloud]).toMatchObject({ status: 'disabled', locality: 'cloud' });
      expect(body.providers[cloud]!.message).toMatch(/API_KEY/);
    }
  });

  it('lists the models Ollama has loaded, with the context they were loaded with', async () => {
    await harness.openai.chat.completions.create({
      model: 'ollama/qwen2.5-coder:7b',
      messages: [{ role: 'user', content: 'load me [sim:tokens=1]' }],
    });
    const body = await health();
    const loaded = body.providers.ollama!.loadedModels!;
    const entry = loaded.find((model) => model.name === 'qwen2.5-coder:7b');
    expect(entry).toBeDefined();
    expect(entry!.contextLength).toBe(harness.config.ollama.min_context);
    expect(entry!.sizeVramBytes).toBeGreaterThan(0);
    expect(Date.parse(entry!.expiresAt!)).toBeGreaterThan(Date.now());
    expect(loaded.map((model) => model.name).sort()).toEqual(harness.ollama.loadedModels().sort());
  });

  it('says degraded, still with 200, when Ollama is down', async () => {
    harness.ollama.setFault({ kind: 'refuse' });
    try {
      const body = await health();
      expect(body.status).toBe('degraded');
      expect(body.providers.ollama!.status).toBe('down');
      expect(body.providers.ollama!.message).toContain('ollama serve');
    } finally {
      harness.ollama.setFault(null);
    }
    expect((await health()).providers.ollama!.status).toBe('ready');
  });
});
