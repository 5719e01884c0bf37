/**
 * @module bench/routing/analysis
 * Turns one strategy's measurements into the numbers the report compares: deadline attainment, local
 * share, cloud cost, latency percentiles; and for switchyard, how far its predictions were from what
 * happened (per model, overall, after 20 completions, before and after the slowdown) and how many
 * requests it took to adapt to the slowdown.
 *
 * Latencies are reported in simulated seconds (real milliseconds × speed factor ÷ 1000): the times a
 * user of the simulated machine would see.
 */
import type { StoredCompletion } from '../../src/db/profile-repository.js';
import { percentileOf } from '../overhead/stats.js';
import { decodeTimeMs, defaultSimulatedModels, prefillTimeMs } from '../upstreams/ollama/index.js';
import { type BenchTiming, localModel } from './environment.js';
import { givenLengthTotalErrors, type LocalRow, queueWaitFloorErrors } from './floors.js';
import type { RequestRecord, StrategyRun } from './run-strategy.js';
import { probeError, type SpeedProbeSample } from './speed-probe.js';
import type { WorkloadRequest } from './workload.js';

export interface Outcome {
  index: number;
  met: boolean;
  local: boolean;
  failed: boolean;
  /** Simulated seconds. */
  ttftSeconds: number | undefined;
  totalSeconds: number;
  costDollars: number;
  reason: string | undefined;
  escalated: boolean;
}

export interface Share {
  all: number;
  before: number;
  after: number;
}

export interface PredictionErrors {
  /** Local completions with a prediction, in this slice. */
  count: number;
  /** Median absolute percentage error, as a fraction (0.15 = 15 %). */
  ttft: number;
  total: number;
  /** Median of predicted ÷ measured: above 1 = pessimistic. */
  ttftRatio: number;
  totalRatio: number;
}

export interface ModelPrediction {
  model: string;
  completions: number;
  /** After 20 completions, split by whether the completion waited for a busy slot (inferred from its timings). */
  after20Queued: PredictionErrors;
  after20Unqueued: PredictionErrors;
  /**
   * Local model only: the median error of total-time predictions that know everything (the simulator's
   * true speeds, no queue) but how long the answer will be, taking the client's median length instead.
   * What output-length uncertainty alone costs on this workload (after 20 completions).
   */
  outputLengthFloor?: number;
  /**
   * Local model only, after 20 completions: first-token MdAPE of a prediction that knows every phase of
   * every request but not how long the answers running ahead will be (`floors.ts`), over the completions
   * that waited for a slot and over all. What the running answers' unknown lengths alone cost.
   */
  queueWaitFloor?: { queued: number; all: number };
  /**
   * Local model only, after 20 completions: total-time MdAPE of switchyard's latency model once the
   * answer's length is known (its first-token prediction plus its fitted decode time for the actual
   * `eval_count`, `floors.ts`). Not an end-to-end figure: no prediction made before the answer knows it.
   */
  givenLengthTotal?: number;
  overall: PredictionErrors;
  /** Predictions made after the model had 20 successful completions. */
  after20: PredictionErrors;
  before: PredictionErrors;
  after: PredictionErrors;
  after20Before: PredictionErrors;
  after20After: PredictionErrors;
}

export interface Adaptation {
  /**
   * Requests after the slowdown until switchyard has adapted: the larger of `speedRequests` and
   * `decisionRequests`; undefined if either never happens.
   */
  requests: number | undefined;
  /**
   * Requests from the change until the first run of 20 consecutive requests before each of which
   * switchyard's believed local speed (`speed-probe.ts`: its predicted service time for a reference
   * request, first token and total, against the simulator's true one) is within `speedTolerance` (0: the
   * run starts at the change, as for `decisionRequests`; a request without a probe breaks a run).
   * Undefined when the error before the change was not within the tolerance either.
   */
  speedRequests: number | undefined;
  speedTolerance: number;
  /** The median probe error over the half before the change: the steady state, which must be within tolerance. */
  speedErrorBefore: number | undefined;
  /** The probe error right after the change (before anything was learned) and 20 requests later. */
  speedErrorAtChange: number | undefined;
  speedErrorAfter20: number | undefined;
  /**
   * The earlier criterion, kept for comparison with earlier runs: requests from the change until the
   * rolling median error of the first-token predictions of the last 5 post-change requests served
   * locally is back within `predictionTolerance`. It mixes the learned speed with slot waits, and can
   * only be met once 5 requests were served locally, which after a slowdown takes ~25 requests.
   */
  predictionRequests: number | undefined;
  /** 15 %, or switchyard's own first-token error before the change (after 20 completions) if larger. */
  predictionTolerance: number;
  /**
   * Requests from the change until the first run of 20 consecutive requests in which no request served
   * locally misses its deadline (0: the run starts at the change).
   */
  decisionRequests: number | undefined;
  /** Post-change requests served locally that missed their deadline. */
  localMisses: number;
  /** Post-change local completions until the prediction condition held. */
  localCompletionsToRecover: number | undefined;
}

export interface StrategySummary {
  name: string;
  requests: number;
  failed: number;
  met: Share;
  local: Share;
  cloudCostDollars: number;
  latency: { p50: number; p95: number };
  ttft: { p50: number; p95: number };
  escalations: number;
  /** Local answers that missed their deadline. */
  localMisses: number;
  wallSeconds: number;
  reasons: Record<string, number>;
  predictions?: ModelPrediction[];
  adaptation?: Adaptation;
}

const median = (values: readonly number[]) => percentileOf(values, 0.5);

function requestIndexOf(row: StoredCompletion): number {
  return Number(row.requestId.replace(/^bench-/, ''));
}

export function outcomesOf(
  run: StrategyRun,
  workload: readonly WorkloadRequest[],
  timing: BenchTiming,
): Outcome[] {
  const costs = new Map<number, number>();
  for (const row of run.rows) {
    const index = requestIndexOf(row);
    costs.set(index, (costs.get(index) ?? 0) + (row.costDollars ?? 0));
  }
  return run.records.map((record) => outcomeOf(record, workload[record.index]!, timing, costs));
}

function outcomeOf(
  record: RequestRecord,
  request: WorkloadRequest,
  timing: BenchTiming,
  costs: Map<number, number>,
): Outcome {
  const { result } = record;
  const failed = result.status !== 200 || result.error !== undefined || result.ttftMs === undefined;
  const ttftDeadline = Math.min(timing.ttftDeadlineMs, request.deadlineMs) / timing.speed;
  const totalDeadline = request.deadlineMs / timing.speed;
  const met = !failed && result.ttftMs! <= ttftDeadline && result.totalMs <= totalDeadline;
  return {
    index: record.index,
    met,
    local: result.route === 'local',
    failed,
    ttftSeconds: result.ttftMs === undefined ? undefined : (result.ttftMs * timing.speed) / 1000,
    totalSeconds: (result.totalMs * timing.speed) / 1000,
    costDollars: costs.get(record.index) ?? 0,
    reason: result.reason,
    escalated: result.escalatedFrom !== undefined,
  };
}

function share(outcomes: readonly Outcome[], test: (outcome: Outcome) => boolean, slowdownAt: number): Share {
  const of = (list: readonly Outcome[]) =>
    list.length === 0 ? Number.NaN : list.filter(test).length / list.length;
  return {
    all: of(outcomes),
    before: of(outcomes.filter((outcome) => outcome.index < slowdownAt)),
    after: of(outcomes.filter((outcome) => outcome.index >= slowdownAt)),
  };
}

export function summarise(
  run: StrategyRun,
  workload: readonly WorkloadRequest[],
  timing: BenchTiming,
  slowdownAt: number,
  slowdownFactor: number,
): StrategySummary {
  const outcomes = outcomesOf(run, workload, timing);
  const reasons: Record<string, number> = {};
  for (const outcome of outcomes) {
    const reason = outcome.reason ?? 'explicit';
    reasons[reason] = (reasons[reason] ?? 0) + 1;
  }
  const summary: StrategySummary = {
    name: run.name,
    requests: outcomes.length,
    failed: outcomes.filter((outcome) => outcome.failed).length,
    met: share(outcomes, (outcome) => outcome.met, slowdownAt),
    local: share(outcomes, (outcome) => outcome.local, slowdownAt),
    cloudCostDollars: outcomes.reduce((sum, outcome) => sum + outcome.costDollars, 0),
    latency: {
      p50: percentileOf(
        outcomes.map((outcome) => outcome.totalSeconds),
        0.5,
      ),
      p95: percentileOf(
        outcomes.map((outcome) => outcome.totalSeconds),
        0.95,
      ),
    },
    ttft: {
      p50: percentileOf(
        outcomes.flatMap((outcome) => (outcome.ttftSeconds === undefined ? [] : [outcome.ttftSeconds])),
        0.5,
      ),
      p95: percentileOf(
        outcomes.flatMap((outcome) => (outcome.ttftSeconds === undefined ? [] : [outcome.ttftSeconds])),
        0.95,
      ),
    },
    escalations: outcomes.filter((outcome) => outcome.escalated).length,
    localMisses: outcomes.filter((outcome) => outcome.local && !outcome.met).length,
    wallSeconds: run.wallSeconds,
    reasons,
  };
  if (run.name === 'switchyard') {
    summary.predictions = predictionsOf(run.rows, workload, slowdownAt, slowdownFactor);
    summary.adaptation = adaptationOf(run.rows, outcomes, slowdownAt, run.speedProbes ?? [], workload.length);
  }
  return summary;
}

interface Scored {
  requestIndex: number;
  /** Waited for a busy slot: the engine's phases leave more of the measured time unexplained than overhead. */
  queued: boolean;
  promptEvalCount: number;
  /** Successful completions of the same model started before this one. */
  rank: number;
  ttftError: number;
  totalError: number;
  ttftRatio: number;
  totalRatio: number;
}

/** Successful attempts that carried a prediction, with their errors, per model, in start order. */
export function scoredPredictions(rows: readonly StoredCompletion[]): Map<string, Scored[]> {
  const byModel = new Map<string, Scored[]>();
  const completed = new Map<string, number>();
  const ordered = [...rows].sort((left, right) => left.startedAt - right.startedAt || left.id - right.id);
  for (const row of ordered) {
    if (row.outcome !== 'ok') continue;
    const model = `${row.provider}/${row.model}`;
    const rank = completed.get(model) ?? 0;
    completed.set(model, rank + 1);
    const ttft = row.timeToFirstTokenMs;
    if (row.predictedTtftMs == null || row.predictedTotalMs == null || !ttft || !row.durationMs) continue;
    const list = byModel.get(model) ?? [];
    const engineMs =
      ((row.loadDurationNs ?? 0) + (row.promptEvalDurationNs ?? 0) + (row.evalDurationNs ?? 0)) / 1e6;
    list.push({
      requestIndex: requestIndexOf(row),
      queued: row.evalDurationNs != null && row.durationMs - engineMs > Math.max(20, 0.05 * row.durationMs),
      promptEvalCount: row.promptEvalCount ?? 0,
      rank,
      ttftError: Math.abs(row.predictedTtftMs - ttft) / ttft,
      totalError: Math.abs(row.predictedTotalMs - row.durationMs) / row.durationMs,
      ttftRatio: row.predictedTtftMs / ttft,
      totalRatio: row.predictedTotalMs / row.durationMs,
    });
    byModel.set(model, list);
  }
  return byModel;
}

function errorsOf(list: readonly Scored[]): PredictionErrors {
  return {
    count: list.length,
    ttft: median(list.map((entry) => entry.ttftError)),
    total: median(list.map((entry) => entry.totalError)),
    ttftRatio: median(list.map((entry) => entry.ttftRatio)),
    totalRatio: median(list.map((entry) => entry.totalRatio)),
  };
}

/**
 * Median error of a total-time prediction that knows the simulator's true speeds but takes the client's
 * median answer length for the real one.
 */
function outputLengthFloor(
  scored: readonly Scored[],
  workload: readonly WorkloadRequest[],
  slowdownAt: number,
  slowdownFactor: number,
): number {
  const spec = defaultSimulatedModels.find((model) => model.name === localModel)!;
  const produced = (request: WorkloadRequest) => Math.min(request.outputTokens, request.maxTokens);
  const typical = new Map<string, number>();
  for (const client of new Set(workload.map((request) => request.client))) {
    typical.set(client, median(workload.filter((request) => request.client === client).map(produced)));
  }
  const errors = scored.map((entry) => {
    const request = workload[entry.requestIndex]!;
    const slowdown = entry.requestIndex >= slowdownAt ? slowdownFactor : 1;
    const time = (output: number) =>
      prefillTimeMs(spec, 0, entry.promptEvalCount, slowdown) +
      decodeTimeMs(spec, entry.promptEvalCount, output, slowdown);
    const actual = time(produced(request));
    return Math.abs(time(typical.get(request.client)!) - actual) / actual;
  });
  return median(errors);
}

/** The floors of `floors.ts` over the settled completions (after 20) of one local model. */
function lengthUnknownFloors(
  rows: readonly StoredCompletion[],
  model: string,
  settled: readonly Scored[],
  workload: readonly WorkloadRequest[],
): Pick<ModelPrediction, 'queueWaitFloor' | 'givenLengthTotal'> {
  const local: LocalRow[] = rows
    .filter((row) => `${row.provider}/${row.model}` === model)
    .map((row) => ({ row, index: requestIndexOf(row), endsAt: row.startedAt + row.durationMs }));
  const waitErrors = queueWaitFloorErrors(local, workload, 1);
  const lengthErrors = givenLengthTotalErrors(local);
  const of = (entries: readonly Scored[], errors: Map<number, number>) =>
    median(entries.flatMap((entry) => errors.get(entry.requestIndex) ?? []));
  return {
    queueWaitFloor: {
      queued: of(
        settled.filter((entry) => entry.queued),
        waitErrors,
      ),
      all: of(settled, waitErrors),
    },
    givenLengthTotal: of(settled, lengthErrors),
  };
}

function predictionsOf(
  rows: readonly StoredCompletion[],
  workload: readonly WorkloadRequest[],
  slowdownAt: number,
  slowdownFactor: number,
): ModelPrediction[] {
  const result: ModelPrediction[] = [];
  for (const [model, list] of scoredPredictions(rows)) {
    const before = list.filter((entry) => entry.requestIndex < slowdownAt);
    const after = list.filter((entry) => entry.requestIndex >= slowdownAt);
    const experienced = (entries: readonly Scored[]) => entries.filter((entry) => entry.rank >= 20);
    const settled = experienced(list);
    result.push({
      model,
      completions: list.length,
      after20Queued: errorsOf(settled.filter((entry) => entry.queued)),
      after20Unqueued: errorsOf(settled.filter((entry) => !entry.queued)),
      ...(model === `ollama/${localModel}`
        ? {
            outputLengthFloor: outputLengthFloor(settled, workload, slowdownAt, slowdownFactor),
            ...lengthUnknownFloors(rows, model, settled, workload),
          }
        : {}),
      overall: errorsOf(list),
      after20: errorsOf(experienced(list)),
      before: errorsOf(before),
      after: errorsOf(after),
      after20Before: errorsOf(experienced(before)),
      after20After: errorsOf(experienced(after)),
    });
  }
  return result;
}

/** Rolling window of post-change local completions for the prediction condition. */
const adaptationWindow = 5;
/** The prediction condition's tolerance: 15 %, or the error switchyard had before the change if larger. */
const adaptationTolerance = 0.15;
/** Consecutive requests without a local deadline miss for the decision condition, or with an accurate speed. */
const cleanRun = 20;

/** The index (into `flags`) where the first run of `cleanRun` true flags starts. */
function firstCleanRun(flags: readonly boolean[]): number | undefined {
  let run = 0;
  for (const [index, flag] of flags.entries()) {
    run = flag ? run + 1 : 0;
    if (run === cleanRun) return index - cleanRun + 1;
  }
  return undefined;
}

function speedAdaptation(probes: readonly SpeedProbeSample[], slowdownAt: number, requests: number) {
  const byIndex = new Map(probes.map((probe) => [probe.index, probe]));
  const before = probes.filter((probe) => probe.index >= slowdownAt / 2 && probe.index < slowdownAt);
  const speedErrorBefore = before.length > 0 ? median(before.map(probeError)) : undefined;
  // Per request from the change on: was the learned speed within tolerance? A missing probe is a no.
  const within: boolean[] = [];
  for (let index = slowdownAt; index < requests; index++) {
    const probe = byIndex.get(index);
    within.push(probe !== undefined && probeError(probe) <= adaptationTolerance);
  }
  const errorAt = (offset: number) => {
    const probe = byIndex.get(slowdownAt + offset);
    return probe === undefined ? undefined : probeError(probe);
  };
  // Adapting means getting back to the steady state's accuracy: a model already off before the change
  // cannot be said to have adapted to it (and one already pessimistic would pass at once).
  const steady = speedErrorBefore !== undefined && speedErrorBefore <= adaptationTolerance;
  return {
    speedRequests: steady ? firstCleanRun(within) : undefined,
    speedTolerance: adaptationTolerance,
    speedErrorBefore,
    speedErrorAtChange: errorAt(0),
    speedErrorAfter20: errorAt(20),
  };
}

function adaptationOf(
  rows: readonly StoredCompletion[],
  outcomes: readonly Outcome[],
  slowdownAt: number,
  probes: readonly SpeedProbeSample[],
  requests: number,
): Adaptation {
  const local = [...scoredPredictions(rows).entries()]
    .filter(([model]) => model.startsWith('ollama/'))
    .flatMap(([, list]) => list)
    .sort((left, right) => left.requestIndex - right.requestIndex);
  const settledBefore = local.filter((entry) => entry.rank >= 20 && entry.requestIndex < slowdownAt);
  const tolerance = Math.max(adaptationTolerance, median(settledBefore.map((entry) => entry.ttftError)) || 0);
  const after = local.filter((entry) => entry.requestIndex >= slowdownAt);
  let predictionRecoveredAt: number | undefined;
  let localCompletionsToRecover: number | undefined;
  for (let end = adaptationWindow; end <= after.length; end++) {
    const window = after.slice(end - adaptationWindow, end);
    if (median(window.map((entry) => entry.ttftError)) <= tolerance) {
      predictionRecoveredAt = window[window.length - 1]!.requestIndex;
      localCompletionsToRecover = end;
      break;
    }
  }
  const postChange = outcomes
    .filter((outcome) => outcome.index >= slowdownAt)
    .sort((left, right) => left.index - right.index);
  const missed = postChange.map((outcome) => outcome.local && !outcome.met);
  // The first request from which `cleanRun` requests in a row have no local deadline miss.
  const decisionRequests = firstCleanRun(missed.map((miss) => !miss));
  const predictionRequests =
    predictionRecoveredAt === undefined ? undefined : predictionRecoveredAt - slowdownAt + 1;
  const speed = speedAdaptation(probes, slowdownAt, requests);
  return {
    requests:
      speed.speedRequests === undefined || decisionRequests === undefined
        ? undefined
        : Math.max(speed.speedRequests, decisionRequests),
    ...speed,
    predictionRequests,
    predictionTolerance: tolerance,
    decisionRequests,
    localMisses: missed.filter(Boolean).length,
    localCompletionsToRecover,
  };
}
