/**
 * @module test/e2e/routing-observability
 * Where routing decisions can be seen and what they change over time: profile rows carry the decision
 * reason, predictions and escalation source; /metrics counts decisions by route and reason and records
 * prediction errors; and the circuit breaker, after N consecutive Ollama failures, sends `auto`
 * requests straight to the cloud without trying Ollama until its cool-down lets one probe through.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, parsePrometheus, startHarness } from '../support/harness.js';
import { metricValue, waitFor, waitForRows } from './gateway-helpers.js';
import {
  autoRequest,
  cloudModel,
  decisionHeaders,
  explain,
  localModel,
  ollamaChats,
  routingConfig,
  warmUp,
} from './routing-helpers.js';

const failureThreshold = 3;
const cooldownMs = 1500;

let harness: Harness;

beforeAll(async () => {
  harness = await startHarness({
    cloud: true,
    config: routingConfig({
      circuit_breaker: { failure_threshold: failureThreshold, cooldown_ms: cooldownMs },
    }),
  });
  await warmUp(harness);
});

afterAll(async () => {
  await harness?.close();
});

async function send(requestId: string, headers: Record<string, string> = {}) {
  const { response } = await harness.openai.chat.completions
    .create(autoRequest(), { headers: { 'x-request-id': requestId, ...headers } })
    .withResponse();
  return decisionHeaders(response);
}

async function metrics(): Promise<Map<string, number>> {
  const response = await fetch(`${harness.url}/metrics`);
  expect(response.status).toBe(200);
  return parsePrometheus(await response.text());
}

describe('profile rows and metrics', () => {
  it('a routed local answer: its row has the reason, the predictions and no escalation source', async () => {
    const headers = await send('obs-local');
    expect(headers).toMatchObject({ route: 'local', reason: 'local_fast_enough' });
    const [row] = await waitForRows(harness, 'obs-local', 1);
    expect(row).toMatchObject({
      provider: 'ollama',
      model: localModel,
      outcome: 'ok',
      decisionReason: 'local_fast_enough',
      complexity: 'simple',
    });
    expect(row!.escalatedFrom).toBeUndefined();
    expect(row!.predictedTtftMs).toBeGreaterThan(0);
    expect(row!.predictedTotalMs).toBeGreaterThan(row!.predictedTtftMs!);
    // The header shows the same prediction the row stores.
    expect(Number(headers.predictedMs)).toBe(Math.round(row!.predictedTotalMs!));
  });

  it('an escalated answer: both rows carry the reason, the cloud row names the local model', async () => {
    harness.ollama.setFault({ kind: 'http-500', model: localModel, times: 1 });
    const headers = await send('obs-escalated');
    expect(headers.escalatedFrom).toBe(`ollama/${localModel}`);
    const rows = await waitForRows(harness, 'obs-escalated', 2);
    expect(
      rows.map((row) => [row.provider, row.outcome, row.decisionReason, row.escalatedFrom ?? null]),
    ).toEqual([
      ['ollama', 'upstream_error', 'local_fast_enough', null],
      ['anthropic', 'ok', 'local_fast_enough', `ollama/${localModel}`],
    ]);
    expect(rows[1]!.predictedTotalMs).toBeGreaterThan(0);
  });

  it('/metrics counts decisions by route and reason, and records how far predictions were off', async () => {
    const before = await metrics();
    await send('obs-metrics-local');
    await send('obs-metrics-cloud', { 'x-switchyard-route': 'cloud' });
    const after = await metrics();
    const decisions = (labels: Record<string, string>) =>
      metricValue(after, 'switchyard_route_decisions_total', labels) -
      metricValue(before, 'switchyard_route_decisions_total', labels);
    expect(decisions({ route: 'local', reason: 'local_fast_enough' })).toBe(1);
    expect(decisions({ route: 'cloud', reason: 'forced_cloud' })).toBe(1);

    // One observation per kind for the local answer; cloud answers are not predicted by the latency model.
    for (const kind of ['ttft', 'total']) {
      const count = (samples: Map<string, number>) =>
        metricValue(samples, 'switchyard_route_prediction_error_ratio_count', { kind });
      expect(count(after) - count(before)).toBe(1);
      expect(
        metricValue(after, 'switchyard_route_prediction_error_ratio_sum', { kind }),
      ).toBeGreaterThanOrEqual(0);
    }
  });
});

describe('the circuit breaker', () => {
  it(`after ${failureThreshold} consecutive Ollama failures auto goes straight to the cloud until the cool-down`, async () => {
    harness.ollama.setFault({ kind: 'refuse', model: localModel });
    try {
      for (let index = 0; index < failureThreshold; index++) {
        const chats = ollamaChats(harness);
        const headers = await send(`breaker-fail-${index}`);
        // Each is still tried locally first, then escalated.
        expect(headers).toMatchObject({
          route: 'cloud',
          model: cloudModel,
          escalatedFrom: `ollama/${localModel}`,
        });
        expect(ollamaChats(harness)).toBe(chats + 1);
      }
      const chats = ollamaChats(harness);
      for (let index = 0; index < 3; index++) {
        const headers = await send(`breaker-open-${index}`);
        expect(headers).toMatchObject({ route: 'cloud', reason: 'no_local_model', escalatedFrom: null });
      }
      expect((await explain(harness, autoRequest())).reason).toBe('no_local_model');
      // Ollama was not tried while the circuit was open.
      expect(ollamaChats(harness)).toBe(chats);
    } finally {
      harness.ollama.setFault(null);
    }

    // Ollama is back, but the circuit stays open until the cool-down has passed…
    const openedAt = Date.now();
    expect((await send('breaker-still-open')).reason).toBe('no_local_model');
    // …then one probe goes through, and its success closes the circuit.
    await waitFor(() => Date.now() - openedAt > cooldownMs + 50, cooldownMs + 1000, 'the cool-down');
    const chats = ollamaChats(harness);
    expect(await send('breaker-probe')).toMatchObject({ route: 'local', reason: 'local_fast_enough' });
    expect(await send('breaker-closed')).toMatchObject({ route: 'local', reason: 'local_fast_enough' });
    expect(ollamaChats(harness)).toBe(chats + 2);
  });
});
