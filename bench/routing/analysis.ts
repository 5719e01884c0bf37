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
import { type Adaptation, adaptationOf } from './adaptation.js';
import { type BenchTiming, localModel } from './environment.js';
import {
  type FinishedAnswer,
  givenLengthTotalErrors,
  type LocalRow,
  pastAnswersDraw,
  queueWaitFloorErrors,
} from './floors.js';
import type { RequestRecord, StrategyRun } from './run-strategy.js';
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
   * The same with the running answers' lengths drawn from what switchyard can know of them: its clients'
   * last 64 answers (`floors.ts`, `pastAnswersDraw`).
   */
  queueWaitFloorKnown?: { queued: number; all: number };
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
): Pick<ModelPrediction, 'queueWaitFloor' | 'queueWaitFloorKnown' | 'givenLengthTotal'> {
  const local: LocalRow[] = rows
    .filter((row) => `${row.provider}/${row.model}` === model)
    .map((row) => ({ row, index: requestIndexOf(row), endsAt: row.startedAt + row.durationMs }));
  const answers: FinishedAnswer[] = rows
    .filter((row) => row.outcome === 'ok')
    .map((row) => {
      const request = workload[requestIndexOf(row)]!;
      return {
        endsAt: row.startedAt + row.durationMs,
        client: request.client,
        tokens: Math.min(request.outputTokens, request.maxTokens),
      };
    });
  const waitErrors = queueWaitFloorErrors(local, workload, 1);
  const knownWaitErrors = queueWaitFloorErrors(local, workload, 1, pastAnswersDraw(answers));
  const lengthErrors = givenLengthTotalErrors(local);
  const of = (entries: readonly Scored[], errors: Map<number, number>) =>
    median(entries.flatMap((entry) => errors.get(entry.requestIndex) ?? []));
  const floor = (errors: Map<number, number>) => ({
    queued: of(
      settled.filter((entry) => entry.queued),
      errors,
    ),
    all: of(settled, errors),
  });
  return {
    queueWaitFloor: floor(waitErrors),
    queueWaitFloorKnown: floor(knownWaitErrors),
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
