/**
 * @module gateway/slowdown-evidence
 * How much slower than predicted a local model is running right now, from evidence that arrives before
 * any completion does: its latest attempt abandoned for want of a first token, or the slow pace of an
 * answer that has just ended. Completions of the model and time both retire that evidence.
 */
import type { CompletionProfile } from '../profiler/completion-profile.js';
import type { PlannedAttempt } from './attempt-runner.js';
import type { Clock } from './clock.js';
import type { RunningAttempt } from './slot-tracker.js';

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
   * A local attempt abandoned for want of a first token took at least its time on a slot ÷ its predicted
   * first token on a slot longer than predicted. That evidence holds until two completions of the model
   * have come in (by then the latency fit has seen the change, if there is one).
   * Only the time it held a slot counts: an attempt that spent its deadline queued behind long answers
   * shows how long those ran, not how fast the engine is (taken for a slowdown, such a stall made a model
   * that had just been learned right look three times slower again for the next twenty requests).
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
    const held = this.abandonments.get(id);
    const abandoned = held && now < held.expiresAt ? held : undefined;
    if (profile.outcome === 'deadline_exceeded' && attempt.predictedTtftMs) {
      if (running && running.servedSince === undefined) return;
      const servedMs = running?.servedSince !== undefined ? now - running.servedSince : profile.durationMs;
      const factor = servedMs / (running?.ttftServiceMs ?? attempt.predictedTtftMs);
      if (factor > 1 && factor >= (abandoned?.factor ?? 1)) {
        const expiresAt = now + slowdownEvidenceLifetimes * profile.durationMs;
        this.abandonments.set(id, { factor, speed: plannedSpeed, completionsSince: 0, expiresAt });
      }
    } else if (profile.outcome === 'ok' && abandoned) {
      abandoned.completionsSince += 1;
      if (abandoned.completionsSince >= 2) this.abandonments.delete(id);
    }
  }

  /**
   * An answer that has just ended ran its last lap `factor` times slower than its plan predicted. While it
   * streamed, the slot tracker read that pace live; once it has ended, nothing else may show the
   * slowdown until completions teach the latency fit, so it is kept as evidence under the same rules as
   * an abandoned attempt's (retired by two completions of the model, or after ten times its duration).
   */
  notePace(id: string, factor: number, plannedSpeed: number | undefined, durationMs: number): void {
    const now = this.clock.now();
    const held = this.abandonments.get(id);
    const current = held && now < held.expiresAt ? held : undefined;
    if (factor >= (current?.factor ?? 1)) {
      const expiresAt = now + slowdownEvidenceLifetimes * durationMs;
      this.abandonments.set(id, { factor, speed: plannedSpeed, completionsSince: 0, expiresAt });
    }
  }
}
