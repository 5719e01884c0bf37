/**
 * @module gateway/slot-tracker
 * Which attempts hold a model's parallel slots on a local engine and which queue behind them: attempts
 * in flight per model, in start order, each with what routing expected of it and when it got a slot;
 * from these, how long a request arriving now would wait for a free slot. Time comes in as `now`.
 */
import { medianSlotWaitMs, type PlannedAnswer, slotHolderOf } from '../routing/slot-wait.js';
import { type AttemptProgress, type PlannedAttempt, piecesPerLap } from './attempt-types.js';

/** What routing predicted for an attempt it planned. */
export interface PlannedExpectation {
  /** Predicted time once it has a slot (the prediction without the queue wait). */
  serviceMs: number;
  /** Predicted first token once it has a slot (without the queue wait). */
  ttftServiceMs?: number;
  /** The speed the prediction assumed (any consistent measure; larger is faster). */
  speed?: number;
  /** Spread (log scale) of its predicted total time. */
  logSigma?: number;
  /** The answer's predicted length and pace, to tell from its progress when it will end. */
  answer?: PlannedAnswer;
  /** The slowdown evidence the prediction already included (absent: none). */
  slowdown?: number;
}

/** An attempt started and not yet finished, with what routing expected of it. */
export interface RunningAttempt extends Partial<PlannedExpectation> {
  /** The model it runs on (see `SlotTracker`). */
  id: string;
  startedAt: number;
  /** Kept up to date by the attempt runner. */
  progress: AttemptProgress;
  /** When it got a slot on the engine (undefined while it queues). */
  servedSince?: number;
  /** Predicted total time from the attempt's start, queue wait included. */
  totalMs?: number;
}

/**
 * A recent pace this much slower than predicted or more is taken for a slowdown. Below it, it could be the
 * decode rate falling as the answer's context grows, jitter, or a client reading slowly.
 */
const paceNoiseFactor = 1.3;
/** Like all slowdown evidence, capped: a stream that stalled for a while is not a 100× slower engine. */
const maximumPaceSlowdown = 10;

/** Spread assumed for an attempt routing did not predict. */
const unknownAttemptLogSigma = 0.5;

/**
 * Slot bookkeeping for every model, each named by an opaque id (the caller's provider-and-model key).
 * `parallelSlots` is how many requests an engine serves at once per model.
 */
export class SlotTracker {
  private readonly inFlight = new Map<string, number>();
  /** Attempts running now, in start order, with what routing expected of them. */
  private readonly running = new Map<PlannedAttempt, RunningAttempt>();

  constructor(private readonly parallelSlots: number) {}

  inFlightOf(id: string): number {
    return this.inFlight.get(id) ?? 0;
  }

  /**
   * An attempt starts on model `id`. Returns the progress record the attempt runner keeps up to date.
   */
  start(
    attempt: PlannedAttempt,
    id: string,
    expectation: PlannedExpectation | undefined,
    now: number,
  ): AttemptProgress {
    // The attempts already running on this model, started and not finished, are the ones ahead of it.
    const ahead = this.inFlight.get(id) ?? 0;
    this.inFlight.set(id, ahead + 1);
    // With a free slot the engine starts it at once; otherwise it queues until an earlier one finishes.
    const progress: AttemptProgress = { pieces: 0 };
    this.running.set(attempt, {
      id,
      startedAt: now,
      progress,
      ...(ahead < this.parallelSlots ? { servedSince: now } : {}),
      ...(attempt.predictedTotalMs !== undefined ? { totalMs: attempt.predictedTotalMs } : {}),
      ...expectation,
    });
    return progress;
  }

  /**
   * An attempt on model `id` ends, freeing its slot for the oldest queued one. Returns what was known of
   * it while it ran (undefined if it was never started here).
   */
  finish(attempt: PlannedAttempt, id: string, now: number): RunningAttempt | undefined {
    this.inFlight.set(id, Math.max(0, (this.inFlight.get(id) ?? 1) - 1));
    const running = this.running.get(attempt);
    if (this.running.delete(attempt)) this.promoteQueued(id, now);
    return running;
  }

  /**
   * Expected (median) wait for a free slot on a model for a request arriving now: the running attempts
   * hold the slots, each for its predicted time with its predicted spread, and those queued behind them
   * take their predicted service time each, first come first served; all of it stretched by `slowdown`
   * (the evidence now) beyond what each prediction already included.
   */
  expectedQueueWaitMs(id: string, slots: number, slowdown: number, now: number): number {
    const attempts = [...this.running.values()].filter((attempt) => attempt.id === id);
    if (attempts.length < slots) return 0;
    // Holders are timed from when they got their slot, against their predicted time without queueing,
    // or once they stream, by how far their answer has got. An attempt planned without a prediction (a
    // named model) is taken to be half done.
    const holders = attempts.slice(0, slots).map((attempt) => {
      const servedMs = now - (attempt.servedSince ?? attempt.startedAt);
      const { firstEventAt, pieces } = attempt.progress;
      return slotHolderOf({
        servedMs,
        serviceMs: attempt.serviceMs ?? attempt.totalMs ?? 2 * servedMs,
        logSigma: attempt.logSigma ?? unknownAttemptLogSigma,
        slowdown: slowdown / (attempt.slowdown ?? 1),
        ...(attempt.answer ? { answer: attempt.answer } : {}),
        ...(firstEventAt !== undefined
          ? { progress: { tokens: pieces, sinceFirstTokenMs: now - firstEventAt } }
          : {}),
      });
    });
    const queued = attempts.slice(slots).map((attempt) => ({
      serviceMs: ((attempt.serviceMs ?? now - attempt.startedAt) * slowdown) / (attempt.slowdown ?? 1),
      logSigma: attempt.logSigma ?? unknownAttemptLogSigma,
    }));
    return medianSlotWaitMs(holders, queued, slots);
  }

  /**
   * How much slower than the current fit a model decodes right now, from the recent pace of its answers
   * that are streaming (their last two laps of `piecesPerLap` pieces against the pace their plan predicted,
   * rescaled from the speed the plan assumed to `currentSpeed`). The largest of them; 1 when none shows
   * a slowdown beyond the noise of pace within an answer. Unlike a long answer, a slow pace per token is
   * evidence: how many tokens an answer has does not change how fast each comes.
   */
  paceSlowdown(id: string, currentSpeed: number): number {
    let slowest = 1;
    for (const attempt of this.running.values()) {
      if (attempt.id !== id || !attempt.speed) continue;
      const factor = (recentPaceAgainstPlan(attempt) * currentSpeed) / attempt.speed;
      if (factor > slowest) slowest = factor;
    }
    return isPaceSlowdown(slowest) ? Math.min(slowest, maximumPaceSlowdown) : 1;
  }

  /** A slot freed up: the oldest attempts of the model (first come, first served) now hold the slots. */
  private promoteQueued(id: string, now: number): void {
    let held = 0;
    for (const attempt of this.running.values()) {
      if (attempt.id !== id) continue;
      if (held >= this.parallelSlots) break;
      attempt.servedSince ??= now;
      held += 1;
    }
  }
}

/**
 * How much slower than its plan predicted an answer has run over each of its last two laps: the faster
 * of the two, so that a single slow lap (one stall of the event loop, a burst of lines read late) is
 * not taken for a slowdown. 0 when there are not two laps to read or no prediction. Relative to the
 * speed the plan assumed, so a caller can rescale it to a newer fit.
 */
export function recentPaceAgainstPlan(attempt: RunningAttempt): number {
  const { lapAt, previousLapAt, earlierLapAt } = attempt.progress;
  const planned = attempt.answer?.msPerToken;
  if (lapAt === undefined || previousLapAt === undefined || earlierLapAt === undefined || !planned) return 0;
  const fasterLapMs = Math.min(lapAt - previousLapAt, previousLapAt - earlierLapAt);
  return fasterLapMs / piecesPerLap / planned;
}

/** Whether a pace this much slower than planned is a slowdown, not noise. */
export function isPaceSlowdown(factor: number): boolean {
  return factor >= paceNoiseFactor;
}

/**
 * Whether an attempt never got a slot while it ran: switchyard's first-come-first-served model of the
 * engine had it queued behind other answers the whole time (undefined: not tracked, so not known to).
 */
export function queuedThroughout(running: RunningAttempt | undefined): boolean {
  return running !== undefined && running.servedSince === undefined;
}
