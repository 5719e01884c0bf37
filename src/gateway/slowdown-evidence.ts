/**
 * @module gateway/slowdown-evidence
 * How much slower than predicted a local model is running right now, from evidence that arrives before
 * any completion does: its latest attempt abandoned for want of a first token, or the slow pace of an
 * answer that has just ended. Completions of the model and time both retire that evidence.
 */
import type { CompletionProfile } from '../profiler/completion-profile.js';
import type { PlannedAttempt } from './attempt-runner.js';
import type { Clock } from './clock.js';
import {
  isPaceSlowdown,
  queuedThroughout,
  type RunningAttempt,
  recentPaceAgainstPlan,
} from './slot-tracker.js';

/** Evidence of a slowdown is capped: it is a lower bound on a change, not a measurement. */
const maximumSlowdownEvidence = 10;
/**
 * Evidence of a slowdown lapses after this many times the abandoned attempt's own duration, completions
 * or not: while it holds, the model looks too slow for most requests, so none may come to clear it.
 */
const slowdownEvidenceLifetimes = 10;

/** The slowdown a model's latest abandoned attempt showed, and the completions of the model since. */
interface Abandonment {
  factor: number;
  /** The speed the abandoned attempt's prediction assumed. */
  speed: number | undefined;
  completionsSince: number;
  expiresAt: number;
}

/** Slowdown evidence for every model, each named by an opaque id (the caller's provider-and-model key). */
export class SlowdownEvidence {
  /** Per model: the slowdown shown by its latest abandoned attempt, and completions since. */
  private readonly abandonments = new Map<string, Abandonment>();

  constructor(private readonly clock: Clock) {}

  /**
   * How much slower than predicted a model is running right now, from evidence that arrives before any
   * completion does: an attempt abandoned for want of a first token (it took at least its deadline ÷ its
   * predicted first token longer than predicted), until two completions of the model have come in (by
   * then the latency fit has seen the change, if there is one), or for ten times as long as the abandoned
   * attempt ran (see `slowdownEvidenceLifetimes`). 1 when there is no such evidence.
   * Attempts merely running long are no evidence: a long answer looks the same.
   */
  factor(id: string, currentSpeed: number): number {
    const abandoned = this.abandonments.get(id);
    if (!abandoned) return 1;
    if (this.clock.now() >= abandoned.expiresAt) {
      this.abandonments.delete(id);
      return 1;
    }
    // Relative to the speed the prediction assumed: a fit that has since slowed down already knows.
    const factor =
      abandoned.speed === undefined || !(abandoned.speed > 0)
        ? abandoned.factor
        : (abandoned.factor * currentSpeed) / abandoned.speed;
    return Math.min(Math.max(1, factor), maximumSlowdownEvidence);
  }

  /**
   * What a local attempt that has just ended says about the model's speed.
   * - Abandoned for want of a first token, it took at least its time on a slot ÷ its predicted first
   *   token on a slot longer than predicted. Only the time it held a slot counts: an attempt that spent
   *   its deadline queued behind long answers shows how long those ran, not how fast the engine is (taken
   *   for a slowdown, such a stall made a model that had just been learned right look three times slower
   *   again for the next twenty requests).
   * - Whatever its outcome, if its last two laps ran slow (`recentPaceAgainstPlan`): while it streamed the slot
   *   tracker read that pace live; once it has ended nothing else may show the slowdown until completions
   *   teach the latency fit, so it is kept.
   * Either evidence holds until two completions of the model have come in (by then the latency fit has
   * seen the change, if there is one). A completion counts before its own pace is kept.
   * `running` is what the slot tracker knew of the attempt; `plannedSpeed`, the speed routing assumed.
   */
  note(
    id: string,
    attempt: PlannedAttempt,
    profile: CompletionProfile,
    running: RunningAttempt | undefined,
    plannedSpeed: number | undefined,
  ): void {
    if (attempt.provider.locality !== 'local') return;
    const now = this.clock.now();
    if (profile.outcome === 'deadline_exceeded' && attempt.predictedTtftMs) {
      if (queuedThroughout(running)) return;
      const servedMs = running?.servedSince !== undefined ? now - running.servedSince : profile.durationMs;
      const factor = servedMs / (running?.ttftServiceMs ?? attempt.predictedTtftMs);
      if (factor > 1) this.remember(id, factor, plannedSpeed, profile.durationMs, now);
    } else if (profile.outcome === 'ok') {
      const abandoned = this.current(id, now);
      if (abandoned) {
        abandoned.completionsSince += 1;
        if (abandoned.completionsSince >= 2) this.abandonments.delete(id);
      }
    }
    const pace = running ? recentPaceAgainstPlan(running) : 0;
    if (isPaceSlowdown(pace)) this.remember(id, pace, plannedSpeed, profile.durationMs, now);
  }

  /** The model's evidence unless it has lapsed. */
  private current(id: string, now: number): Abandonment | undefined {
    const held = this.abandonments.get(id);
    return held && now < held.expiresAt ? held : undefined;
  }

  /** New evidence replaces what is held unless that shows a larger slowdown. */
  private remember(
    id: string,
    factor: number,
    speed: number | undefined,
    durationMs: number,
    now: number,
  ): void {
    if (factor < (this.current(id, now)?.factor ?? 1)) return;
    const expiresAt = now + slowdownEvidenceLifetimes * durationMs;
    this.abandonments.set(id, { factor, speed, completionsSince: 0, expiresAt });
  }
}
