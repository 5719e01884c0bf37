/**
 * @module test/e2e/gateway-profiling
 * The profile rows switchyard writes to SQLite, one per upstream attempt, success or failure, with
 * Ollama's own timings and what switchyard measured itself. The simulator runs at speedFactor 4 here so
 * that a cold load lasts longer than the cold-start threshold (a real load does).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { coldStartThresholdNs } from '../../src/profiler/completion-profile.js';
import { type Harness, startHarness } from '../support/harness.js';
import { type OllamaFinalChunk, ollamaFinals, waitForRows } from './gateway-helpers.js';

const model = 'ollama/llama3.2:3b';

let harness: Harness;
const finals = (): OllamaFinalChunk[] => ollamaFinals(harness);

beforeAll(async () => {
  harness = await startHarness({ speedFactor: 4 });
});

afterAll(async () => {
  await harness?.close();
});

const weatherTool = {
  type: 'function' as const,
  function: {
    name: 'get_weather',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
};
const clockTool = { type: 'function' as const, function: { name: 'get_time' } };

describe('successful attempts', () => {
  it('the first request: a cold start with the engine timings, derived rates and request shape', async () => {
    const system = 'You are a terse assistant.';
    const user = 'Say three words. [sim:tokens=3]';
    const startedAt = Date.now();
    const { data: completion } = await harness.openai.chat.completions
      .create(
        {
          model,
          messages: [
            { role: 'system', content: system },
            { role: 'user', content: user },
          ],
        },
        { headers: { 'x-request-id': 'e2e-profile-cold' } },
      )
      .withResponse();
    const reported = finals().at(-1)!;

    const rows = await waitForRows(harness, 'e2e-profile-cold');
    expect(rows).toHaveLength(1);
    const row = rows[0]!;
    expect(row).toMatchObject({
      requestId: 'e2e-profile-cold',
      attempt: 0,
      provider: 'ollama',
      model: 'llama3.2:3b',
      locality: 'local',
      streamed: false,
      outcome: 'ok',
      finishReason: 'stop',
      doneReason: 'stop',
      coldStart: true,
      numCtx: harness.config.ollama.min_context,
      promptChars: system.length + user.length,
      messageCount: 2,
      toolCount: 0,
      imageCount: 0,
      decisionReason: 'explicit',
      // Exactly what Ollama reported, and what the client was told.
      loadDurationNs: reported.load_duration,
      promptEvalCount: reported.prompt_eval_count,
      promptEvalDurationNs: reported.prompt_eval_duration,
      evalCount: 3,
      evalDurationNs: reported.eval_duration,
      totalDurationNs: reported.total_duration,
      promptTokens: completion.usage!.prompt_tokens,
      completionTokens: completion.usage!.completion_tokens,
    });
    expect(row.errorKind).toBeUndefined();
    expect(row.errorMessage).toBeUndefined();
    expect(row.loadDurationNs!).toBeGreaterThan(coldStartThresholdNs);
    expect(row.prefillTokensPerSecond!).toBeCloseTo(
      row.promptEvalCount! / (row.promptEvalDurationNs! / 1e9),
      6,
    );
    expect(row.decodeTokensPerSecond!).toBeCloseTo(3 / (row.evalDurationNs! / 1e9), 6);
    expect(row.estimatedPromptTokens).toBeGreaterThan(0);
    expect(row.startedAt).toBeGreaterThanOrEqual(startedAt - 5);
    expect(row.startedAt).toBeLessThanOrEqual(Date.now());
    // Time to first token covers the load Ollama reported; the attempt covers the first token.
    expect(row.timeToFirstTokenMs!).toBeGreaterThanOrEqual(row.loadDurationNs! / 1e6 - 1);
    expect(row.durationMs).toBeGreaterThanOrEqual(row.timeToFirstTokenMs!);
    expect(row.durationMs).toBeGreaterThanOrEqual(row.totalDurationNs! / 1e6 - 1);
  });

  it('the next request is warm; a streamed tool call records its tool count and finish reason', async () => {
    const stream = harness.openai.chat.completions.stream(
      {
        model,
        messages: [{ role: 'user', content: 'Weather in Rome? [sim:tool]' }],
        tools: [weatherTool, clockTool],
      },
      { headers: { 'x-request-id': 'e2e-profile-warm' } },
    );
    await stream.finalChatCompletion();

    const [row] = await waitForRows(harness, 'e2e-profile-warm');
    expect(row).toMatchObject({
      outcome: 'ok',
      streamed: true,
      coldStart: false,
      finishReason: 'tool_calls',
      toolCount: 2,
      messageCount: 1,
      numCtx: harness.config.ollama.min_context,
    });
    expect(row!.loadDurationNs!).toBeLessThan(coldStartThresholdNs);
    expect(row!.evalCount!).toBeGreaterThan(0);
    expect(row!.timeToFirstTokenMs!).toBeGreaterThan(0);
    expect(row!.prefillTokensPerSecond!).toBeGreaterThan(0);
    expect(row!.decodeTokensPerSecond!).toBeGreaterThan(0);
  });

  it('finish reason length and a larger num_ctx are recorded as sent', async () => {
    await harness.openai.chat.completions.create(
      {
        model,
        max_tokens: 2,
        messages: [{ role: 'user', content: `${'context '.repeat(4000)} [sim:tokens=9]` }],
      },
      { headers: { 'x-request-id': 'e2e-profile-length' } },
    );
    const [row] = await waitForRows(harness, 'e2e-profile-length');
    expect(row).toMatchObject({ outcome: 'ok', finishReason: 'length', doneReason: 'length', evalCount: 2 });
    expect(row!.numCtx!).toBeGreaterThan(harness.config.ollama.min_context);
    // A new num_ctx makes Ollama reload the model.
    expect(row!.coldStart).toBe(true);
  });
});

describe('failed attempts', () => {
  it('a retried 500: one row per attempt, the failure with its error kind, then the success', async () => {
    harness.ollama.setFault({ kind: 'http-500', times: 1, message: 'runner exited' });
    await harness.openai.chat.completions.create(
      { model, messages: [{ role: 'user', content: 'Again. [sim:tokens=2]' }] },
      { headers: { 'x-request-id': 'e2e-profile-retry' } },
    );
    const rows = await waitForRows(harness, 'e2e-profile-retry', 2);
    expect(rows.map((row) => [row.attempt, row.outcome, row.errorKind])).toEqual([
      [0, 'upstream_error', 'upstream_error'],
      [1, 'ok', undefined],
    ]);
    expect(rows[0]!.errorMessage).toContain('runner exited');
    expect(rows[0]!.evalCount).toBeUndefined();
    expect(rows[0]!.timeToFirstTokenMs).toBeUndefined();
    expect(rows[1]!.evalCount).toBe(2);
  });

  it('a model Ollama does not have: one failed row with kind model_not_found', async () => {
    harness.ollama.setFault({ kind: 'model-not-found', times: 1 });
    await harness.openai.chat.completions
      .create(
        { model, messages: [{ role: 'user', content: 'x' }] },
        { headers: { 'x-request-id': 'e2e-profile-missing' } },
      )
      .catch(() => undefined);
    const rows = await waitForRows(harness, 'e2e-profile-missing');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ outcome: 'upstream_error', errorKind: 'model_not_found', attempt: 0 });
  });

  it('a stream cut after the first token: a failed row that still has its time to first token', async () => {
    harness.ollama.setFault({ kind: 'cut-stream', afterChunks: 2, times: 1 });
    const stream = await harness.openai.chat.completions.create(
      { model, stream: true, messages: [{ role: 'user', content: 'Long. [sim:tokens=30]' }] },
      { headers: { 'x-request-id': 'e2e-profile-cut' } },
    );
    await (async () => {
      for await (const _chunk of stream);
    })().catch(() => undefined);
    const rows = await waitForRows(harness, 'e2e-profile-cut');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      outcome: 'upstream_error',
      errorKind: 'stream_interrupted',
      streamed: true,
    });
    expect(rows[0]!.timeToFirstTokenMs!).toBeGreaterThan(0);
    expect(rows[0]!.errorMessage).toMatch(/cut off/);
  });

  it('requests refused before any attempt (bad body, unknown model) write no rows', async () => {
    const before = harness.switchyard.repository.countCompletions();
    await harness.openai.chat.completions
      .create({ model: 'no-such-model', messages: [{ role: 'user', content: 'x' }] })
      .catch(() => undefined);
    await harness.openai.chat.completions.create({ model, n: 3, messages: [] }).catch(() => undefined);
    await harness.switchyard.profiler.flush();
    expect(harness.switchyard.repository.countCompletions()).toBe(before);
  });
});
