/**
 * @module test/e2e/gateway-prompt-caching
 * Prompt caching on the Claude path, end to end through the official `openai` SDK: switchyard marks the
 * stable prefix with `cache_control` breakpoints, the simulated Anthropic API writes it on the first
 * request and reads it on the next, the client sees the reads as `prompt_tokens_details.cached_tokens`
 * (streamed and not), and the cost in the profile row and in `switchyard_cloud_cost_dollars_total`
 * prices reads at 0.1× and writes at 1.25× the input price.
 */
import type { CompletionUsage } from 'openai/resources/completions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, parsePrometheus, startHarness } from '../support/harness.js';
import { metricValue, waitForRows } from './gateway-helpers.js';

// The default Sonnet: $3 input, $15 output per million in the default config; caches from 1024 tokens.
const upstreamModel = 'claude-sonnet-5-5';
const model = `anthropic/${upstreamModel}`;
const INPUT = 3 / 1e6;
const OUTPUT = 15 / 1e6;

let harness: Harness;
beforeAll(async () => {
  harness = await startHarness({ cloud: true });
});
afterAll(async () => {
  await harness?.close();
});

/** A coding tool's request: a long system prompt (~2000 tokens), an earlier exchange, then the question. */
const messages = [
  {
    role: 'system' as const,
    content: `You are a coding assistant. ${'Keep to the style guide. '.repeat(330)}`,
  },
  { role: 'user' as const, content: 'Where is the config read?' },
  { role: 'assistant' as const, content: 'In src/config/load-config.ts.' },
  { role: 'user' as const, content: 'Rename this variable. [sim:tokens=4]' },
];

async function send(id: string, stream: boolean): Promise<CompletionUsage> {
  const options = { headers: { 'x-request-id': id } };
  if (!stream) return (await harness.openai.chat.completions.create({ model, messages }, options)).usage!;
  const chunks = await harness.openai.chat.completions.create(
    { model, messages, stream: true, stream_options: { include_usage: true } },
    options,
  );
  let usage: CompletionUsage | undefined;
  for await (const chunk of chunks) usage = chunk.usage ?? usage;
  return usage!;
}

async function costMetric(): Promise<number> {
  const text = await (await fetch(`${harness.url}/metrics`)).text();
  return metricValue(parsePrometheus(text), 'switchyard_cloud_cost_dollars_total', { provider: 'anthropic' });
}

describe('prompt caching through switchyard', () => {
  it('the second identical request reports cached tokens and is recorded cheaper', async () => {
    const costBefore = await costMetric();
    const first = await send('cache-first', false);
    const second = await send('cache-second', false);
    const third = await send('cache-third', true);

    // The first writes the whole prompt (up to the final user turn's breakpoint): nothing read yet.
    expect(first.prompt_tokens_details?.cached_tokens ?? 0).toBe(0);
    expect(second.prompt_tokens).toBe(first.prompt_tokens);
    expect(second.prompt_tokens_details?.cached_tokens).toBe(first.prompt_tokens);
    expect(third.prompt_tokens_details?.cached_tokens).toBe(first.prompt_tokens);

    const [firstRow] = await waitForRows(harness, 'cache-first');
    const [secondRow] = await waitForRows(harness, 'cache-second');
    const [thirdRow] = await waitForRows(harness, 'cache-third');
    const prompt = first.prompt_tokens;
    expect(firstRow?.costDollars).toBeCloseTo(prompt * INPUT * 1.25 + 4 * OUTPUT, 12);
    expect(secondRow?.costDollars).toBeCloseTo(prompt * INPUT * 0.1 + 4 * OUTPUT, 12);
    expect(secondRow!.costDollars!).toBeLessThan(firstRow!.costDollars! / 5);
    expect(secondRow?.cachedPromptTokens).toBe(prompt);
    expect(thirdRow?.costDollars).toBeCloseTo(secondRow!.costDollars!, 12);

    const recorded = firstRow!.costDollars! + secondRow!.costDollars! + thirdRow!.costDollars!;
    expect((await costMetric()) - costBefore).toBeCloseTo(recorded, 12);
  });
});
