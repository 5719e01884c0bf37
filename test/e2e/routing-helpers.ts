/**
 * @module test/e2e/routing-helpers
 * Shared set-up for the routing end-to-end suites: a deterministic routing config (one local model, one
 * cloud model, no exploration), a warm-up that gives the local model a profile and loads it, and small
 * readers for decision headers, explanations and upstream request counts.
 */
import { expect } from 'vitest';
import type { Harness } from '../support/harness.js';

export const localModel = 'llama3.2:3b';
export const cloudModel = 'claude-haiku-4-5';

/** Routing settings under test; `routing` entries override the defaults here, the rest is merged as is. */
export function routingConfig(
  routing: Record<string, unknown> = {},
  rest: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    routing: {
      local_models: [localModel],
      cloud_models: [`anthropic/${cloudModel}`],
      // Decisions must not depend on chance in these suites.
      explore_rate: 0,
      circuit_breaker: { failure_threshold: 1000, cooldown_ms: 60_000 },
      ...routing,
    },
    // One try per attempt, so each failure is one simulator request and one breaker failure.
    retry: { max_retries: 0, base_delay_ms: 5, max_delay_ms: 100 },
    ...rest,
  };
}

/**
 * A few explicit requests to the local model: afterwards switchyard has measured it (a fitted profile
 * instead of priors, past the first request's one-off costs) and knows it is loaded, so `auto` decides
 * local_fast_enough for short requests.
 */
export async function warmUp(harness: Harness, requests = 3): Promise<void> {
  for (let index = 0; index < requests; index++) {
    await harness.openai.chat.completions.create({
      model: `ollama/${localModel}`,
      messages: [{ role: 'user', content: `Warm up ${index}. [sim:tokens=3]` }],
    });
  }
  await harness.switchyard.profiler.flush();
}

/** The decision headers of a response. */
export function decisionHeaders(response: Response) {
  const header = (name: string) => response.headers.get(`x-switchyard-${name}`);
  return {
    route: header('route'),
    provider: header('provider'),
    model: header('model'),
    reason: header('reason'),
    predictedMs: header('predicted-ms'),
    escalatedFrom: header('escalated-from'),
    requestId: response.headers.get('x-request-id'),
  };
}

/** Chat requests the simulated Ollama has received (refused connections included only when model-scoped). */
export function ollamaChats(harness: Harness): number {
  return harness.ollama.requests.filter((request) => request.path === '/api/chat').length;
}

/** Messages requests the simulated Anthropic API has received. */
export function anthropicCalls(harness: Harness): number {
  return harness.anthropic!.requests.filter((request) => request.path.startsWith('/v1/messages')).length;
}

export interface Explanation {
  routed: boolean;
  attempts: Array<{
    provider: string;
    model: string;
    locality: 'local' | 'cloud';
    firstTokenDeadlineMs?: number;
    predicted?: { ttftMs: number; totalMs: number; ttftHighMs: number; totalHighMs: number };
  }>;
  reason: string;
  sentence: string;
  complexity: string;
  deadlines: { ttftMs: number; totalMs: number };
  features: Record<string, unknown>;
}

/** POSTs to /v1/route/explain and returns the parsed body (expects 200). */
export async function explain(
  harness: Harness,
  body: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<Explanation> {
  const response = await fetch(`${harness.baseURL}/route/explain`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ model: 'auto', ...body }),
  });
  expect(response.status).toBe(200);
  return (await response.json()) as Explanation;
}

/** A short `auto` request body. */
export function autoRequest(content = 'Say hello. [sim:tokens=5]', extra: Record<string, unknown> = {}) {
  return { model: 'auto', messages: [{ role: 'user' as const, content }], ...extra };
}
