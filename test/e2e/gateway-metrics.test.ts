/**
 * @module test/e2e/gateway-metrics
 * `/metrics` as Prometheus scrapes it, parsed: each counter and histogram moves by exactly what the
 * requests in between did (tokens as Ollama reported them, one cold start, statuses, retries). The
 * simulator runs at speedFactor 4 so that the first load counts as a cold start.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, parsePrometheus, startHarness } from '../support/harness.js';
import { metricValue, profileRows } from './gateway-helpers.js';

const model = 'ollama/llama3.2:3b';
const labels = { provider: 'ollama', model: 'llama3.2:3b' };

let harness: Harness;

beforeAll(async () => {
  harness = await startHarness({ speedFactor: 4 });
});

afterAll(async () => {
  await harness?.close();
});

async function scrape(): Promise<Map<string, number>> {
  const response = await fetch(`${harness.url}/metrics`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
  return parsePrometheus(await response.text());
}

/** How much each named sample grew between two scrapes. */
function growth(before: Map<string, number>, after: Map<string, number>) {
  return (name: string, sampleLabels: Record<string, string> = {}) =>
    metricValue(after, name, sampleLabels) - metricValue(before, name, sampleLabels);
}

describe('/metrics', () => {
  it('exposes the switchyard metric families with HELP and TYPE lines', async () => {
    const text = await (await fetch(`${harness.url}/metrics`)).text();
    for (const family of [
      'switchyard_requests_total counter',
      'switchyard_time_to_first_token_seconds histogram',
      'switchyard_request_duration_seconds histogram',
      'switchyard_overhead_seconds histogram',
      'switchyard_ollama_prefill_tokens_per_second histogram',
      'switchyard_ollama_decode_tokens_per_second histogram',
      'switchyard_ollama_cold_starts_total counter',
      'switchyard_prompt_tokens_total counter',
      'switchyard_completion_tokens_total counter',
    ]) {
      expect(text).toContain(`# TYPE ${family}`);
    }
  });

  it('successful requests move counts, tokens, rates and exactly one cold start', async () => {
    const before = await scrape();
    const usages: Array<{ prompt_tokens: number; completion_tokens: number }> = [];
    for (const tokens of [3, 4]) {
      const completion = await harness.openai.chat.completions.create({
        model,
        messages: [{ role: 'user', content: `Request ${tokens}. [sim:tokens=${tokens}]` }],
      });
      usages.push(completion.usage!);
    }
    const stream = await harness.openai.chat.completions.create({
      model,
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: 'user', content: 'Streamed. [sim:tokens=5]' }],
    });
    for await (const chunk of stream) if (chunk.usage) usages.push(chunk.usage);
    expect(usages).toHaveLength(3);
    const after = await scrape();
    const grew = growth(before, after);

    expect(grew('switchyard_requests_total', { ...labels, status: '200' })).toBe(3);
    expect(grew('switchyard_time_to_first_token_seconds_count', labels)).toBe(3);
    expect(grew('switchyard_request_duration_seconds_count', { ...labels, route: 'local' })).toBe(3);
    expect(grew('switchyard_overhead_seconds_count', { route: 'local' })).toBe(3);
    expect(grew('switchyard_prompt_tokens_total', labels)).toBe(
      usages.reduce((sum, usage) => sum + usage.prompt_tokens, 0),
    );
    expect(grew('switchyard_completion_tokens_total', labels)).toBe(3 + 4 + 5);
    expect(grew('switchyard_ollama_prefill_tokens_per_second_count', { model: 'llama3.2:3b' })).toBe(3);
    expect(grew('switchyard_ollama_decode_tokens_per_second_count', { model: 'llama3.2:3b' })).toBe(3);
    expect(grew('switchyard_ollama_load_duration_seconds_count', { model: 'llama3.2:3b' })).toBe(3);
    expect(grew('switchyard_ollama_cold_starts_total', { model: 'llama3.2:3b' })).toBe(1);
    expect(grew('switchyard_upstream_errors_total')).toBe(0);

    // The histogram sums are the profiled rates, not something else.
    const rows = (await profileRows(harness)).filter((row) => row.outcome === 'ok');
    const decodeSum = rows.reduce((sum, row) => sum + row.decodeTokensPerSecond!, 0);
    expect(
      metricValue(after, 'switchyard_ollama_decode_tokens_per_second_sum', { model: 'llama3.2:3b' }),
    ).toBeCloseTo(decodeSum, 3);
    // Every observation falls in the +Inf bucket.
    expect(
      metricValue(after, 'switchyard_time_to_first_token_seconds_bucket', { ...labels, le: '+Inf' }),
    ).toBe(metricValue(after, 'switchyard_time_to_first_token_seconds_count', labels));
  });

  it('failures count under their status and error kind; a retry is counted as a retry', async () => {
    const before = await scrape();
    harness.ollama.setFault({ kind: 'http-500', times: 1 });
    await harness.openai.chat.completions.create({
      model,
      messages: [{ role: 'user', content: 'Retry me. [sim:tokens=2]' }],
    });
    harness.ollama.setFault({ kind: 'model-not-found', times: 1 });
    await harness.openai.chat.completions
      .create({ model, messages: [{ role: 'user', content: 'x' }] })
      .catch(() => undefined);
    harness.ollama.setFault({ kind: 'refuse', times: 1 });
    await harness.openai.chat.completions
      .create({ model, messages: [{ role: 'user', content: 'x' }] })
      .catch(() => undefined);
    const after = await scrape();
    const grew = growth(before, after);

    expect(grew('switchyard_requests_total', { ...labels, status: '200' })).toBe(1);
    expect(grew('switchyard_requests_total', { ...labels, status: '404' })).toBe(1);
    expect(grew('switchyard_requests_total', { ...labels, status: '503' })).toBe(1);
    expect(grew('switchyard_upstream_retries_total', { ...labels, kind: 'upstream_error' })).toBe(1);
    expect(grew('switchyard_upstream_errors_total', { ...labels, kind: 'upstream_error' })).toBe(1);
    expect(grew('switchyard_upstream_errors_total', { ...labels, kind: 'model_not_found' })).toBe(1);
    expect(grew('switchyard_upstream_errors_total', { ...labels, kind: 'unreachable' })).toBe(1);
    // Only the attempt that produced tokens has a time to first token.
    expect(grew('switchyard_time_to_first_token_seconds_count', labels)).toBe(1);
    expect(grew('switchyard_completion_tokens_total', labels)).toBe(2);
    expect(grew('switchyard_ollama_cold_starts_total', { model: 'llama3.2:3b' })).toBe(0);
  });

  it('a stream cut mid-way counts as a 502 and an interrupted upstream, with its tokens so far unknown', async () => {
    const before = await scrape();
    harness.ollama.setFault({ kind: 'cut-stream', afterChunks: 2, times: 1 });
    const stream = await harness.openai.chat.completions.create({
      model,
      stream: true,
      messages: [{ role: 'user', content: 'Cut me. [sim:tokens=20]' }],
    });
    await (async () => {
      for await (const _chunk of stream);
    })().catch(() => undefined);
    const after = await scrape();
    const grew = growth(before, after);
    expect(grew('switchyard_requests_total', { ...labels, status: '502' })).toBe(1);
    expect(grew('switchyard_upstream_errors_total', { ...labels, kind: 'stream_interrupted' })).toBe(1);
    expect(grew('switchyard_time_to_first_token_seconds_count', labels)).toBe(1);
    expect(grew('switchyard_completion_tokens_total', labels)).toBe(0);
  });
});
