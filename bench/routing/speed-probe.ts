/**
 * @module bench/routing/speed-probe
 * What switchyard believes about the local model's speed, apart from everything else a prediction
 * depends on. Before each request of the switchyard run, the bench asks `POST /v1/route/explain`
 * (forced local, so the local prediction is always returned) about one fixed reference request that is
 * never sent, and compares the predicted service time — first token and whole answer, without the
 * predicted slot wait and load — with the simulator's true, jitter-free service time for the same
 * request, the same answer length and the simulator's current slowdown.
 *
 * This isolates what "adapting to a slowdown" means: the learned speed. The errors of the served
 * requests' own predictions mix it with slot waits (how long the answers ahead will run, which nobody
 * knows) and answer lengths, and they only come in when a request is served locally, which after a
 * slowdown is rare by design.
 */
import { defaultSimulatedModels, fitPromptTokens, predictTimings } from '../upstreams/ollama/index.js';
import type { WorkloadRequest } from './workload.js';

export interface SpeedProbeSample {
  /** The workload request about to be sent when the probe was taken. */
  index: number;
  /** Real ms: switchyard's predicted service times for the reference request. */
  predictedTtftMs: number;
  predictedTotalMs: number;
  /** Real ms: the simulator's true service times for it now. */
  trueTtftMs: number;
  trueTotalMs: number;
  /** The answer length switchyard assumed (its learned typical length for the reference's client). */
  outputTokens: number;
}

export interface SpeedProbeOptions {
  url: string;
  model: string;
  speed: number;
  /** Real ms switchyard and HTTP add to every local answer (the oracle's figure). */
  overheadMs: number;
  reference: WorkloadRequest;
}

interface ExplainAttempt {
  locality?: string;
  predicted?: { ttftMs: number; totalMs: number; queueMs?: number; loadMs?: number };
}

interface ExplainBody {
  attempts?: ExplainAttempt[];
  features?: { typicalOutputTokens?: number; expectedOutputTokens?: number };
}

/**
 * The reference: a mid-sized request of the chat client, with a system prompt of its own so that neither
 * switchyard's prefix-cache estimate nor the simulator's cache applies to it.
 */
export function referenceRequest(workload: readonly WorkloadRequest[]): WorkloadRequest {
  const chat = workload
    .filter((request) => request.client === 'chat' && request.size === 'medium')
    .sort((left, right) => left.characters - right.characters);
  const median = chat[Math.floor(chat.length / 2)] ?? workload[0];
  if (!median) throw new Error('speed probe: empty workload');
  return { ...median, system: `Reference request of the routing bench (never sent). ${median.system}` };
}

export function createSpeedProbe(options: SpeedProbeOptions) {
  const spec = defaultSimulatedModels.find((model) => `ollama/${model.name}` === options.model);
  if (!spec) throw new Error(`speed probe: unknown simulated model ${options.model}`);
  const { reference } = options;
  const messages = [
    { role: 'system' as const, content: reference.system },
    { role: 'user' as const, content: reference.user },
  ];
  const promptTokens = fitPromptTokens(spec, messages, undefined, spec.contextLength).tokens.length;
  const body = JSON.stringify({ model: 'auto', stream: true, max_tokens: reference.maxTokens, messages });

  /** The simulator's service times for the reference, in real ms, at this slowdown and answer length. */
  function truth(slowdown: number, outputTokens: number) {
    const timing = (output: number) =>
      predictTimings(spec!, {
        promptTokens,
        cachedPromptTokens: 0,
        outputTokens: output,
        numCtx: spec!.contextLength,
        cold: false,
        slowdown,
      });
    const whole = timing(outputTokens);
    const first = timing(1);
    return {
      ttftMs: (first.prefillMs + first.decodeMs) / options.speed + options.overheadMs,
      totalMs: (whole.prefillMs + whole.decodeMs) / options.speed + options.overheadMs,
    };
  }

  return async function probe(index: number, slowdown: number): Promise<SpeedProbeSample | undefined> {
    const response = await fetch(`${options.url}/v1/route/explain`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': reference.userAgent,
        'x-switchyard-route': 'local',
      },
      body,
    });
    if (response.status !== 200) return undefined;
    const explained = (await response.json()) as ExplainBody;
    const predicted = explained.attempts?.find((attempt) => attempt.locality === 'local')?.predicted;
    const outputTokens =
      explained.features?.typicalOutputTokens ?? explained.features?.expectedOutputTokens ?? 0;
    if (!predicted || outputTokens <= 0) return undefined;
    const waitAndLoad = (predicted.queueMs ?? 0) + (predicted.loadMs ?? 0);
    const actual = truth(slowdown, outputTokens);
    return {
      index,
      predictedTtftMs: predicted.ttftMs - waitAndLoad,
      predictedTotalMs: predicted.totalMs - waitAndLoad,
      trueTtftMs: actual.ttftMs,
      trueTotalMs: actual.totalMs,
      outputTokens,
    };
  };
}

/** The larger of the first-token and total relative errors of one probe. */
export function probeError(sample: SpeedProbeSample): number {
  return Math.max(
    Math.abs(sample.predictedTtftMs / sample.trueTtftMs - 1),
    Math.abs(sample.predictedTotalMs / sample.trueTotalMs - 1),
  );
}
