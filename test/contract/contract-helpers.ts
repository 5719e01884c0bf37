/**
 * @module test/contract/contract-helpers
 * Requests and readers the adapter contract suite shares: a tiny PNG, a tool with required fields, a
 * JSON schema, a long conversation for prompt caching, SDK stream draining, error capture and metric
 * deltas. Nothing here knows a provider.
 */
import { APIError } from 'openai';
import type { ChatCompletionChunk, ChatCompletionTool } from 'openai/resources/chat/completions';
import { it } from 'vitest';
import { metricValue } from '../e2e/gateway-helpers.js';
import { type Harness, parsePrometheus } from '../support/harness.js';
import type { ContractAdapter, ContractUpstream } from './adapters.js';

/** A 1×1 transparent PNG. */
export const tinyPng =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';

export const weatherTool: ChatCompletionTool = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Current weather for a city.',
    parameters: {
      type: 'object',
      properties: { city: { type: 'string' }, days: { type: 'integer' } },
      required: ['city', 'days'],
    },
  },
};

export const citySchema = {
  type: 'object',
  properties: { city: { type: 'string' }, population: { type: 'integer' } },
  required: ['city', 'population'],
  additionalProperties: false,
};

/** A user turn asking for exactly `tokens` output tokens from any simulator. */
export const ask = (tokens: number, text = 'Tell me something.') => [
  { role: 'user' as const, content: `${text} [sim:tokens=${tokens}]` },
];

/**
 * A conversation whose prefix (everything before the last turn) is well over the simulators' minimum
 * cacheable prefix (1024 to 4096 tokens); sent twice, the second call can read the upstream's cache.
 */
export function longConversation(tag: string) {
  const filler = `Context ${tag}: ${'the quick brown fox jumps over the lazy dog. '.repeat(420)}`;
  return [
    { role: 'system' as const, content: `You answer briefly. ${filler}` },
    { role: 'user' as const, content: `First question about ${tag}. ${filler}` },
    { role: 'assistant' as const, content: 'A first answer.' },
    { role: 'user' as const, content: 'And then? [sim:tokens=3]' },
  ];
}

/** Reads an SDK stream to its end, keeping what arrived before any error. */
export async function drain(stream: AsyncIterable<ChatCompletionChunk>) {
  const chunks: ChatCompletionChunk[] = [];
  let error: unknown;
  try {
    for await (const chunk of stream) chunks.push(chunk);
  } catch (thrown) {
    error = thrown;
  }
  return { chunks, error, text: chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('') };
}

/** The error a promise rejects with (fails the test if it resolves). */
export async function rejection(promise: Promise<unknown>): Promise<APIError> {
  try {
    await promise;
  } catch (thrown) {
    if (thrown instanceof APIError) return thrown;
    throw thrown;
  }
  throw new Error('expected the request to fail');
}

/** One Prometheus sample (summed over unmatched labels), read from the live /metrics. */
export async function readMetric(
  harness: Harness,
  name: string,
  labels: Record<string, string>,
): Promise<number> {
  const text = await (await fetch(`${harness.url}/metrics`)).text();
  return metricValue(parsePrometheus(text), name, labels);
}

export interface HealthBody {
  status: string;
  providers: Record<string, { status: string; locality: string; message?: string }>;
}

export async function readHealth(harness: Harness): Promise<HealthBody> {
  return (await (await fetch(`${harness.url}/health`)).json()) as HealthBody;
}

/** Request ids unique across the suite, so profile rows can be looked up per request. */
let counter = 0;
export function requestId(label: string): string {
  counter += 1;
  return `contract-${label}-${counter}`;
}

/** What one adapter's cases need: its table entry, the harnesses (started in the suite's beforeAll) and its simulator. */
export interface ContractContext {
  adapter: ContractAdapter;
  /** Every simulator, keys and base URLs set. */
  harness(): Harness;
  /** Every cloud key set to a value its simulator rejects. */
  wrongKeys(): Harness;
  /** No cloud key at all. */
  noKeys(): Harness;
  /**
   * All keys set, upstreams at a tenth of real time: an answer runs for seconds without flooding the
   * event loop (the simulators share the test's process), so a client can leave while it is running.
   */
  slow(): Harness;
  /** The adapter's simulator in `harness()`, its fault cleared and request log emptied before each case. */
  upstream(): ContractUpstream;
}

/** `it`, or a skip whose name says why the case does not apply to this adapter. */
export function itUnless(reason: string | undefined, name: string, test: () => Promise<void>) {
  if (reason === undefined) it(name, test);
  else it.skip(`${name} — skipped: ${reason}`, test);
}
