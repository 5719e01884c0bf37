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
import type { BenchTiming } from './environment.js';
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
   * Requests after the slowdown (counting every request sent from the one that met the slowed model,
   * inclusive) until both conditions hold: (1) the rolling median error of the local model's total-time
   * predictions over the last 5 post-change local completions is within 15 %, and (2) no later
   * post-change request served locally misses its deadline. Undefined if never.
   */
  requests: number | undefined;
  /** Requests until condition (1) alone first holds. */
  predictionRequests: number | undefined;
  /** Requests until the last post-change local deadline miss (condition 2 alone); 0 when none. */
  decisionRequests: number;
  /** Post-change requests served locally that missed their deadline. */
  localMisses: number;
  /** Local completions after the change before condition (1) held. */
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

function percentile(values: readonly number[], fraction: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((left, right) => left - right);
  const rank = Math.ceil(fraction * sorted.length) - 1;
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))]!;
}

const median = (values: readonly number[]) => percentile(values, 0.5);

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
      p50: percentile(
        outcomes.map((outcome) => outcome.totalSeconds),
        0.5,
      ),
      p95: percentile(
        outcomes.map((outcome) => outcome.totalSeconds),
        0.95,
      ),
    },
    ttft: {
      p50: percentile(
        outcomes.flatMap((outcome) => (outcome.ttftSeconds === undefined ? [] : [outcome.ttftSeconds])),
        0.5,
      ),
      p95: percentile(
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
    summary.predictions = predictionsOf(run.rows, slowdownAt);
    summary.adaptation = adaptationOf(run.rows, outcomes, slowdownAt);
  }
  return summary;
}

interface Scored {
  requestIndex: number;
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
    list.push({
      requestIndex: requestIndexOf(row),
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

function predictionsOf(rows: readonly StoredCompletion[], slowdownAt: number): ModelPrediction[] {
  const result: ModelPrediction[] = [];
  for (const [model, list] of scoredPredictions(rows)) {
    const before = list.filter((entry) => entry.requestIndex < slowdownAt);
    const after = list.filter((entry) => entry.requestIndex >= slowdownAt);
    const experienced = (entries: readonly Scored[]) => entries.filter((entry) => entry.rank >= 20);
    result.push({
      model,
      completions: list.length,
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
const adaptationTolerance = 0.15;

function adaptationOf(
  rows: readonly StoredCompletion[],
  outcomes: readonly Outcome[],
  slowdownAt: number,
): Adaptation {
  const local = [...scoredPredictions(rows).entries()]
    .filter(([model]) => model.startsWith('ollama/'))
    .flatMap(([, list]) => list)
    .filter((entry) => entry.requestIndex >= slowdownAt)
    .sort((left, right) => left.requestIndex - right.requestIndex);
  let predictionRecoveredAt: number | undefined;
  let localCompletionsToRecover: number | undefined;
  for (let end = adaptationWindow; end <= local.length; end++) {
    const window = local.slice(end - adaptationWindow, end);
    if (median(window.map((entry) => entry.totalError)) <= adaptationTolerance) {
      predictionRecoveredAt = window[window.length - 1]!.requestIndex;
      localCompletionsToRecover = end;
      break;
    }
  }
  const postChange = outcomes.filter((outcome) => outcome.index >= slowdownAt);
  const misses = postChange.filter((outcome) => outcome.local && !outcome.met);
  const lastMiss = misses.length > 0 ? Math.max(...misses.map((outcome) => outcome.index)) : undefined;
  const decisionRequests = lastMiss === undefined ? 0 : lastMiss - slowdownAt + 1;
  const predictionRequests =
    predictionRecoveredAt === undefined ? undefined : predictionRecoveredAt - slowdownAt + 1;
  return {
    requests: predictionRequests === undefined ? undefined : Math.max(predictionRequests, decisionRequests),
    predictionRequests,
    decisionRequests,
    localMisses: misses.length,
    localCompletionsToRecover,
  };
}
