/**
 * @module test/bench/sdk-floor
 * The cloud bench's SDK floor must answer the OpenAI API through the official SDKs, streamed and not,
 * and ask each simulated upstream for the same work switchyard asks for — or its ratio means nothing.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SdkProvider, startSdkProxy } from '../../bench/cloud-overhead/sdk-proxy.js';
import type { ReferenceProxy } from '../../bench/overhead/proxy-main.js';
import { startAnthropicSimulator } from '../../bench/upstreams/anthropic/index.js';
import { startGeminiSimulator } from '../../bench/upstreams/gemini/index.js';
import type { SimulatorHandle } from '../../bench/upstreams/shared/simulator-server.js';

const content = 'Reverse a list in TypeScript. [sim:tokens=6]';
const setups: Record<SdkProvider, { model: string; start: () => Promise<SimulatorHandle> }> = {
  anthropic: {
    model: 'anthropic/claude-haiku-4-5',
    start: () => startAnthropicSimulator({ speedFactor: 1000, seed: 1 }),
  },
  gemini: {
    model: 'gemini/gemini-2.5-flash',
    start: () => startGeminiSimulator({ speedFactor: 1000, seed: 1 }),
  },
};

describe.each(Object.keys(setups) as SdkProvider[])('SDK floor, %s', (provider) => {
  let simulator: SimulatorHandle;
  let proxy: ReferenceProxy;
  const { model } = setups[provider];
  const client = () => new OpenAI({ baseURL: `${proxy.url}/v1`, apiKey: 'unused', maxRetries: 0 });

  beforeAll(async () => {
    simulator = await setups[provider].start();
    proxy = await startSdkProxy({ provider, upstream: simulator.url, apiKey: simulator.apiKey });
  });
  afterAll(async () => {
    await proxy.close();
    await simulator.close();
  });

  it('answers a whole chat.completion with usage, asking the upstream for a stream', async () => {
    simulator.clearRequests();
    const completion = await client().chat.completions.create({
      model,
      messages: [{ role: 'user', content }],
    });
    expect(completion.choices[0]?.message.content?.length).toBeGreaterThan(0);
    expect(completion.usage?.completion_tokens).toBe(6);
    expect(completion.usage?.total_tokens).toBe(
      (completion.usage?.prompt_tokens ?? 0) + (completion.usage?.completion_tokens ?? 0),
    );
    const sent = simulator.requests.at(-1);
    if (provider === 'anthropic') {
      expect(sent?.path).toBe('/v1/messages');
      expect(sent?.body).toMatchObject({ model: 'claude-haiku-4-5', max_tokens: 4096, stream: true });
    } else {
      expect(sent?.path).toMatch(/gemini-2\.5-flash:streamGenerateContent\?alt=sse/);
      expect(sent?.body).toMatchObject({
        generationConfig: { maxOutputTokens: 4096, thinkingConfig: { includeThoughts: true } },
      });
    }
  });

  it('streams chunks that the openai SDK reads to the end', async () => {
    const stream = await client().chat.completions.create({
      model,
      messages: [{ role: 'user', content }],
      stream: true,
    });
    let text = '';
    let finish: string | null | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(text.length).toBeGreaterThan(0);
    expect(finish).toBe('stop');
  });

  it('answers 502 when the upstream refuses', async () => {
    const refused = await startSdkProxy({ provider, upstream: simulator.url, apiKey: 'wrong-key' });
    try {
      const response = await fetch(`${refused.url}/v1/chat/completions`, {
        method: 'POST',
        body: JSON.stringify({ model, messages: [{ role: 'user', content }] }),
      });
      expect(response.status).toBe(502);
      expect(
        ((await response.json()) as { error: { message: string } }).error.message.length,
      ).toBeGreaterThan(0);
    } finally {
      await refused.close();
    }
  });
});
