/**
 * @module bench/routing/floors
 * What the routing bench's prediction error would be with less uncertainty than switchyard has, computed
 * from switchyard's own profile rows, to tell the latency model's error from what no prediction made
 * before an answer can know:
 *
 * - `queueWaitFloor`: the first-token error of a prediction that knows every phase of every local
 *   request exactly (load, prefill, decode rate, when each got its slot, how far each running answer has
 *   got) but not how long the answers still running will be: their client's true length distribution,
 *   conditioned on each one's progress, gives the median wait for a slot. Requests that did not wait
 *   have no error under it. With `pastAnswersDraw`, the lengths come instead from what switchyard can
 *   know of them: its clients' recent answers.
 * - `givenLengthErrors`: the latency model's error once the answer's length is known: switchyard's own
 *   first-token prediction plus the decode time its latency model (refitted from the completions that
 *   had finished when the request started, as `decide` saw them) gives for the actual `eval_count`.
 */
import type { StoredCompletion } from '../../src/db/profile-repository.js';
import { createModelStatsStore } from '../../src/profiler/model-stats.js';
import { fitLatencyModel, predictLatency } from '../../src/routing/latency-model.js';
import { normalCdf, normalQuantile } from '../../src/routing/normal-distribution.js';
import { percentileOf } from '../overhead/stats.js';
import { createRandom, type RandomSource } from '../upstreams/shared/seeded-random.js';
import { answerLengthDistribution, type WorkloadRequest } from './workload.js';

/** Draws of the running answers' lengths per request. */
const samples = 500;
const slots = 2;

export interface LocalRow {
  row: StoredCompletion;
  index: number;
  endsAt: number;
}

const median = (values: readonly number[]) => percentileOf(values, 0.5);

/** The fixed part of every first token (HTTP, template): a low quantile of what load and prefill leave. */
function overheadMs(rows: readonly LocalRow[]): number {
  const rest = rows
    .filter(({ row }) => row.outcome === 'ok' && row.timeToFirstTokenMs !== undefined)
    .map(({ row }) => row.timeToFirstTokenMs! - engineFirstTokenMs(row))
    .sort((left, right) => left - right);
  return rest.length === 0 ? 0 : Math.max(0, rest[Math.floor(rest.length * 0.1)]!);
}

function engineFirstTokenMs(row: StoredCompletion): number {
  return ((row.loadDurationNs ?? 0) + (row.promptEvalDurationNs ?? 0)) / 1e6;
}

/** An answer length of the request's client longer than `above` tokens, as known at `now`. */
export type LengthDraw = (
  random: RandomSource,
  request: WorkloadRequest,
  above: number,
  now: number,
) => number;

/** An answer length of `client`, given it is longer than `above` tokens, from the workload's true distribution. */
export function drawLength(random: RandomSource, request: WorkloadRequest, above: number): number {
  const { median: typical, spread, min, max } = answerLengthDistribution(request.client);
  if (above >= max) return above;
  const lowest = above < min ? 0 : normalCdf(Math.log(above / typical) / spread);
  const unit = lowest + (1 - lowest) * random();
  const length = typical * Math.exp(spread * normalQuantile(Math.min(unit, 1 - 1e-12)));
  return Math.max(above, Math.min(max, Math.max(min, length)));
}

/** A finished answer of the run: when it ended, whose it was, how long it was. */
export interface FinishedAnswer {
  endsAt: number;
  client: WorkloadRequest['client'];
  tokens: number;
}

/** Answers of a client kept for its length distribution, as switchyard keeps them (ClientOutputLengths). */
const recentAnswersKept = 64;
/** Fewer answers longer than the running one than this, and switchyard falls back to its log-normal. */
const minimumLongerAnswers = 4;

/**
 * Lengths as switchyard can know them at `now`: one of its client's last 64 answers that had ended by
 * then (any model, as switchyard records them), among those longer than `above`. Where fewer than four
 * are longer, switchyard reads a log-normal instead; the draw then takes the true distribution, which
 * can only make this bound lower than switchyard's own knowledge allows.
 */
export function pastAnswersDraw(answers: readonly FinishedAnswer[]): LengthDraw {
  const byEnd = [...answers].sort((left, right) => left.endsAt - right.endsAt);
  return (random, request, above, now) => {
    const known: number[] = [];
    for (let index = byEnd.length - 1; index >= 0 && known.length < recentAnswersKept; index--) {
      const answer = byEnd[index]!;
      if (answer.endsAt <= now && answer.client === request.client) known.push(answer.tokens);
    }
    const longer = known.filter((tokens) => tokens > above);
    if (longer.length < minimumLongerAnswers) return drawLength(random, request, above);
    return longer[Math.floor(random() * longer.length)]!;
  };
}

/**
 * Per successful local completion (by request index): the absolute first-token error of the prediction
 * that knows everything but the running answers' lengths, as a share of the measured first token. The
 * lengths come from `draw`: the workload's true distribution unless told otherwise.
 */
export function queueWaitFloorErrors(
  rows: readonly LocalRow[],
  workload: readonly WorkloadRequest[],
  seed: number,
  draw: LengthDraw = drawLength,
): Map<number, number> {
  const overhead = overheadMs(rows);
  const waitOf = ({ row }: LocalRow) =>
    row.outcome === 'ok' && row.timeToFirstTokenMs !== undefined
      ? Math.max(0, row.timeToFirstTokenMs - engineFirstTokenMs(row) - overhead)
      : 0;
  const random = createRandom(seed);
  const errors = new Map<number, number>();
  for (const entry of rows) {
    const { row } = entry;
    if (row.outcome !== 'ok' || row.timeToFirstTokenMs === undefined) continue;
    const now = row.startedAt;
    const ahead = rows
      .filter((other) => other !== entry && other.row.startedAt < now && other.endsAt > now)
      .sort((left, right) => left.row.startedAt - right.row.startedAt);
    if (ahead.length < slots) {
      // A free slot: no wait is predicted (what it waited anyway is not the running answers' doing).
      errors.set(entry.index, waitOf(entry) / row.timeToFirstTokenMs);
      continue;
    }
    // A running (or queued) request: when its answer starts, and its decode rate. Attempts that ended
    // without an answer (abandoned at their first-token deadline) hold their slot until they end.
    const phases = (other: LocalRow) => {
      const { row: held } = other;
      if (held.outcome !== 'ok' || !held.evalCount || !held.evalDurationNs) return undefined;
      return {
        servedAt: held.startedAt + waitOf(other),
        beforeDecodeMs: engineFirstTokenMs(held) + overhead,
        tokensPerMs: held.evalCount / (held.evalDurationNs / 1e6),
        request: workload[other.index]!,
      };
    };
    const waits: number[] = [];
    for (let sample = 0; sample < samples; sample++) {
      const freeAt = ahead.slice(0, slots).map((other) => {
        const known = phases(other);
        if (!known) return other.endsAt;
        const decodedTokens = Math.max(0, (now - known.servedAt - known.beforeDecodeMs) * known.tokensPerMs);
        const length = draw(random, known.request, decodedTokens, now);
        return Math.max(now, known.servedAt + known.beforeDecodeMs + length / known.tokensPerMs);
      });
      for (const other of ahead.slice(slots)) {
        freeAt.sort((left, right) => left - right);
        const known = phases(other);
        freeAt[0]! += known
          ? known.beforeDecodeMs + draw(random, known.request, 0, now) / known.tokensPerMs
          : other.row.durationMs;
      }
      waits.push(Math.min(...freeAt) - now);
    }
    const predicted = row.timeToFirstTokenMs - waitOf(entry) + median(waits);
    errors.set(entry.index, Math.abs(predicted - row.timeToFirstTokenMs) / row.timeToFirstTokenMs);
  }
  return errors;
}

/**
 * Per local completion with a prediction (by request index): switchyard's predicted first token plus
 * the decode time of the actual answer length under the latency model fitted from the completions that
 * had ended when it started; the absolute error against the measured total, as a share of it.
 */
export function givenLengthTotalErrors(
  rows: readonly LocalRow[],
  modelSizeBytes?: number,
): Map<number, number> {
  const byEnd = [...rows].sort((left, right) => left.endsAt - right.endsAt);
  const stats = createModelStatsStore({ windowSize: 200 });
  const errors = new Map<number, number>();
  let observed = 0;
  const byStart = [...rows].sort((left, right) => left.row.startedAt - right.row.startedAt);
  for (const entry of byStart) {
    const { row } = entry;
    while (observed < byEnd.length && byEnd[observed]!.endsAt <= row.startedAt) {
      stats.observe(byEnd[observed]!.row);
      observed += 1;
    }
    if (row.outcome !== 'ok' || row.predictedTtftMs === undefined || !row.evalCount || !(row.durationMs > 0))
      continue;
    const fitted = fitLatencyModel(stats.get(row.provider, row.model)?.recent ?? [], modelSizeBytes);
    const decode = predictLatency(fitted, {
      promptTokens: row.estimatedPromptTokens,
      cachedPromptTokens: row.estimatedCachedTokens ?? 0,
      outputTokens: row.evalCount,
      loaded: true,
      queueAhead: 0,
      parallelSlots: slots,
      queueWaitMs: 0,
    }).decodeMs;
    errors.set(entry.index, Math.abs(row.predictedTtftMs + decode - row.durationMs) / row.durationMs);
  }
  return errors;
}
