/**
 * @module test/e2e/gateway-helpers
 * Small tools shared by the gateway end-to-end suites: the simulated Ollama's final NDJSON lines, raw
 * SSE reading, Prometheus sample lookup and profile-row access.
 */
import { expect } from 'vitest';
import type { StoredCompletion } from '../../src/db/profile-repository.js';
import type { Harness } from '../support/harness.js';

/** The timing fields of Ollama's final chunk, as the simulator sent them. */
export interface OllamaFinalChunk {
  done: true;
  done_reason: string;
  prompt_eval_count: number;
  prompt_eval_duration: number;
  eval_count: number;
  eval_duration: number;
  load_duration: number;
  total_duration: number;
}

/**
 * The final line of every `/api/chat` answer the simulated Ollama sent, in order, as it recorded them
 * (what switchyard should have read and reported).
 */
export function ollamaFinals(harness: Harness): OllamaFinalChunk[] {
  return harness.ollama.requests
    .filter((request) => request.path === '/api/chat' && request.final !== undefined)
    .map((request) => request.final as OllamaFinalChunk);
}

/** POSTs a JSON body to switchyard's chat endpoint without the SDK, for raw wire checks. */
export function postChat(
  harness: Harness,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(`${harness.baseURL}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/** The `data:` payloads of an SSE body, in order (`[DONE]` included as is). */
export function sseData(text: string): string[] {
  return text
    .split('\n\n')
    .filter((event) => event.trim() !== '')
    .map((event) => {
      expect(event.startsWith('data: ')).toBe(true);
      return event.slice('data: '.length);
    });
}

/** The value of one Prometheus sample, matching the name exactly and the given labels in any order. */
export function metricValue(
  samples: Map<string, number>,
  name: string,
  labels: Record<string, string> = {},
): number {
  let total = 0;
  let found = false;
  for (const [key, value] of samples) {
    const brace = key.indexOf('{');
    const sampleName = brace === -1 ? key : key.slice(0, brace);
    if (sampleName !== name) continue;
    const labelText = brace === -1 ? '' : key.slice(brace + 1, -1);
    if (Object.entries(labels).every(([label, wanted]) => labelText.includes(`${label}="${wanted}"`))) {
      total += value;
      found = true;
    }
  }
  return found ? total : 0;
}

/** Writes queued profile rows and returns those of one request (or all), oldest first. */
export async function profileRows(harness: Harness, requestId?: string): Promise<StoredCompletion[]> {
  await harness.switchyard.profiler.flush();
  return harness.switchyard.repository.listCompletions(requestId === undefined ? {} : { requestId });
}

/** Polls until `check` returns true, or fails after `timeoutMs`. */
export async function waitFor(check: () => boolean, timeoutMs = 3000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Polls the profile rows of a request until there are `count` of them (rows are recorded when an attempt settles). */
export async function waitForRows(harness: Harness, requestId: string, count = 1, timeoutMs = 3000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const rows = await profileRows(harness, requestId);
    if (rows.length >= count || Date.now() > deadline) return rows;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
