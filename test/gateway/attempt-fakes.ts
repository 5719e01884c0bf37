/**
 * @module test/gateway/attempt-fakes
 * Scripted providers (async generators), a clock whose sleeps return at once but are recorded, and the
 * runner wired to them, shared by the attempt runner's tests.
 */
import { configSchema } from '../../src/config/schema.js';
import { GatewayError } from '../../src/errors.js';
import type {
  AttemptObserver,
  AttemptProgress,
  PlannedAttempt,
  RequestContext,
} from '../../src/gateway/attempt-runner.js';
import { startAttempts } from '../../src/gateway/attempt-runner.js';
import type { Clock } from '../../src/gateway/clock.js';
import { createMetrics } from '../../src/metrics/metrics.js';
import { parseChatRequest } from '../../src/openai/chat-request.js';
import { measureRequest } from '../../src/openai/request-size.js';
import type { CompletionProfile } from '../../src/profiler/completion-profile.js';
import type { ChatCallContext, ChatEvent, ProviderAdapter, Usage } from '../../src/providers/provider.js';

export type Script = (context: ChatCallContext) => AsyncGenerator<ChatEvent>;

export interface FakeProvider extends ProviderAdapter {
  calls: ChatCallContext[];
}

export function fakeProvider(
  id: string,
  script: Script,
  locality: 'local' | 'cloud' = 'local',
): FakeProvider {
  const calls: ChatCallContext[] = [];
  return {
    id,
    locality,
    disabledReason: undefined,
    calls,
    listModels: async () => [],
    health: async () => ({ status: 'ready' }),
    chat: (_request, context) => {
      calls.push(context);
      return script(context);
    },
    costOf: (_model: string, usage: Usage) => usage.promptTokens * 0.001 + usage.completionTokens * 0.002,
  };
}

export const finish: ChatEvent = {
  type: 'finish',
  finishReason: 'stop',
  usage: { promptTokens: 10, completionTokens: 2 },
};

export async function* answers(...texts: string[]): AsyncGenerator<ChatEvent> {
  for (const text of texts) yield { type: 'text-delta', text };
  yield finish;
}

/** Rejects as fetch does when `signal` aborts. */
export function abortOf(signal: AbortSignal): Promise<never> {
  return new Promise((_resolve, reject) => {
    const fail = () => reject(new DOMException('This operation was aborted', 'AbortError'));
    if (signal.aborted) fail();
    else signal.addEventListener('abort', fail, { once: true });
  });
}

/** Fails `failures` times with `error` before the first event, then answers. */
export function flaky(failures: number, error: () => GatewayError): Script {
  let calls = 0;
  return async function* () {
    if (calls++ < failures) throw error();
    yield* answers('ok');
  };
}

export const overloaded = () => new GatewayError('overloaded', 'busy', { provider: 'p' });

export interface SetupOptions {
  retry?: Record<string, number>;
  random?: number;
  signal?: AbortSignal;
  /** When the request arrived on the fake monotonic clock (which starts at 0 with the attempts). */
  receivedAt?: number;
  /** Runs inside the fake sleep, after the delay is recorded. */
  duringSleep?: (signal: AbortSignal | undefined) => void;
}

export function setup(options: SetupOptions = {}) {
  let monotonic = 0;
  const sleeps: number[] = [];
  const clock: Clock = {
    now: () => 1_700_000_000_000,
    monotonic: () => monotonic,
    sleep: async (ms, signal) => {
      sleeps.push(ms);
      options.duringSleep?.(signal);
      monotonic += ms;
    },
  };
  const records: CompletionProfile[] = [];
  const observed: string[] = [];
  /** What the observer handed each started attempt to keep up to date, in start order. */
  const progresses: AttemptProgress[] = [];
  const observer: AttemptObserver = {
    started: (attempt) => {
      observed.push(`started ${attempt.provider.id}`);
      const progress: AttemptProgress = { pieces: 0 };
      progresses.push(progress);
      return progress;
    },
    finished: (attempt, _request, profile) =>
      observed.push(`finished ${attempt.provider.id} ${profile.outcome}`),
  };
  const metrics = createMetrics();
  const retry = configSchema.parse({
    retry: { max_retries: 2, base_delay_ms: 100, max_delay_ms: 1000, ...options.retry },
  }).retry;
  const deps = {
    clock,
    random: () => options.random ?? 1,
    metrics,
    retry,
    record: (p: CompletionProfile) => records.push(p),
    observer,
  };
  const request = parseChatRequest({
    model: 'auto',
    messages: [{ role: 'user', content: 'hello' }],
    stream: true,
  });
  const context: RequestContext = {
    requestId: 'req-1',
    ...(options.receivedAt !== undefined ? { receivedAt: options.receivedAt } : {}),
    signal: options.signal ?? new AbortController().signal,
    size: measureRequest(request),
    decision: { reason: 'fastest', complexity: 'simple' },
  };
  const run = (plan: PlannedAttempt[]) => startAttempts(deps, plan, request, context);
  return { run, sleeps, records, observed, progresses, metrics };
}

/** Reads every event, then lets the event loop turn once: a successful answer is recorded on the next turn. */
export async function drain(events: AsyncIterable<ChatEvent>): Promise<ChatEvent[]> {
  const seen: ChatEvent[] = [];
  for await (const event of events) seen.push(event);
  await new Promise((resolve) => setImmediate(resolve));
  return seen;
}

export const summary = (records: CompletionProfile[]) =>
  records.map((r) => ({
    attempt: r.attempt,
    provider: r.provider,
    model: r.model,
    outcome: r.outcome,
    errorKind: r.errorKind,
  }));
