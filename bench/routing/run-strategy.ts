/**
 * @module bench/routing/run-strategy
 * Runs the whole workload for one strategy in a fresh environment: requests are sent at their arrival
 * times (open loop: a slow answer does not delay the next request), the local model is slowed down
 * threefold before the request halfway through, and every answer is measured. The profile rows are
 * read back before the environment is torn down.
 */
import type { StoredCompletion } from '../../src/db/profile-repository.js';
import { type ClientResult, sendRequest } from './client.js';
import { type BenchTiming, cloudModel, localModel, startEnvironment } from './environment.js';
import { createSpeedProbe, referenceRequest, type SpeedProbeSample } from './speed-probe.js';
import { createStrategy, type StrategyName, type StrategySettings } from './strategies.js';
import type { WorkloadRequest } from './workload.js';

export interface RequestRecord {
  index: number;
  /** The model id the strategy sent. */
  asked: string;
  /** Real ms after the run's start when the request was sent. */
  sentAtMs: number;
  result: ClientResult;
  /** The oracle's true local times for this request when sent (real ms). */
  truth?: { ttftMs: number; totalMs: number; cold: boolean };
}

export interface StrategyRun {
  name: StrategyName;
  records: RequestRecord[];
  rows: StoredCompletion[];
  wallSeconds: number;
  /** Prices of the cloud model from switchyard's config, dollars per million tokens. */
  price: { input: number; output: number } | undefined;
  /** switchyard's run only: its believed local speed before each request (`speed-probe.ts`). */
  speedProbes?: SpeedProbeSample[];
}

export interface RunSettings {
  timing: BenchTiming;
  seed: number;
  slowdownAt: number;
  slowdownFactor: number;
  strategy: StrategySettings;
  /** Real ms switchyard and HTTP add to a local answer, for the speed probe's truth. */
  overheadMs: number;
  routing?: Record<string, unknown>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

/**
 * Sends a few requests through a throw-away environment so that the first measured requests do not pay
 * for compiling the code paths (at a speed factor of 10, 100 ms of JIT warm-up would look like a second
 * of model time).
 */
export async function warmUp(workload: readonly WorkloadRequest[], settings: RunSettings): Promise<void> {
  const environment = await startEnvironment({ timing: settings.timing, seed: settings.seed + 1 });
  try {
    const samples = [...workload].sort((left, right) => left.characters - right.characters);
    const picks = [0, 0.3, 0.6, 0.9, 1].map((share) => samples[Math.round(share * (samples.length - 1))]!);
    for (const model of [`ollama/${localModel}`, `anthropic/${cloudModel}`, 'auto']) {
      await Promise.all(
        picks.map((request) =>
          sendRequest(request, {
            url: environment.url,
            model,
            deadlineHeaderMs: Math.round(request.deadlineMs / settings.timing.speed),
            timeoutMs: 60_000,
          }),
        ),
      );
    }
  } finally {
    await environment.close();
  }
}

export async function runStrategy(
  name: StrategyName,
  workload: readonly WorkloadRequest[],
  settings: RunSettings,
  log: (line: string) => void,
): Promise<StrategyRun> {
  const { timing } = settings;
  const environment = await startEnvironment({
    timing,
    seed: settings.seed,
    ...(settings.routing ? { routing: settings.routing } : {}),
  });
  const strategy = createStrategy(name, settings.strategy);
  const records: RequestRecord[] = [];
  const pending: Array<Promise<void>> = [];
  const probe =
    name === 'switchyard'
      ? createSpeedProbe({
          url: environment.url,
          model: `ollama/${localModel}`,
          speed: timing.speed,
          overheadMs: settings.overheadMs,
          reference: referenceRequest(workload),
        })
      : undefined;
  const speedProbes: SpeedProbeSample[] = [];
  let slowdown = 1;
  const started = performance.now();
  try {
    for (const request of workload) {
      await sleep(started + request.arrivalMs / timing.speed - performance.now());
      if (request.index === settings.slowdownAt) {
        environment.ollama.setSlowdown(localModel, settings.slowdownFactor);
        slowdown = settings.slowdownFactor;
        strategy.onSlowdown?.(settings.slowdownFactor, performance.now());
      }
      if (probe) {
        pending.push(
          probe(request.index, slowdown).then(
            (sample) => {
              if (sample) speedProbes.push(sample);
            },
            // A failed probe is a missing sample (the analysis counts it as not adapted), not a failed run.
            () => undefined,
          ),
        );
      }
      const now = performance.now();
      const deadlines = {
        ttftMs: Math.min(timing.ttftDeadlineMs, request.deadlineMs) / timing.speed,
        totalMs: request.deadlineMs / timing.speed,
      };
      const asked = strategy.choose(request, now, deadlines);
      const sentAtMs = now - started;
      pending.push(
        sendRequest(request, {
          url: environment.url,
          model: asked,
          deadlineHeaderMs: Math.max(1, Math.round(request.deadlineMs / timing.speed)),
          // A safety net only: far beyond any answer's expected time.
          timeoutMs: Math.max(20 * request.deadlineMs, 600_000) / timing.speed,
        }).then((result) => {
          strategy.finished?.(request, performance.now(), asked);
          const truth = strategy.truth?.get(request.index);
          records.push({ index: request.index, asked, sentAtMs, result, ...(truth ? { truth } : {}) });
        }),
      );
      if ((request.index + 1) % 50 === 0) {
        log(`${name}: ${request.index + 1}/${workload.length} sent, ${records.length} answered`);
      }
    }
    await Promise.all(pending);
    const rows = await environment.completions();
    records.sort((left, right) => left.index - right.index);
    const price = environment.config.anthropic.models.find((model) => model.name === cloudModel)?.price;
    return {
      name,
      records,
      rows,
      wallSeconds: (performance.now() - started) / 1000,
      price: price ? { input: price.input_per_million, output: price.output_per_million } : undefined,
      ...(probe ? { speedProbes: speedProbes.sort((left, right) => left.index - right.index) } : {}),
    };
  } finally {
    await environment.close();
  }
}
