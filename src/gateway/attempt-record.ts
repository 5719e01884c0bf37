/**
 * @module gateway/attempt-record
 * The bookkeeping of one try: its profile row and what its answer looked like, filled in as the events
 * pass, then finished when the try ends, however it ends, and handed to the profiler and the observer.
 */
import type { ChatRequest } from '../openai/chat-request.js';
import type { CompletionOutcome, CompletionProfile } from '../profiler/completion-profile.js';
import type { ChatEvent, EngineTimings, Usage } from '../providers/provider.js';
import { engineFields, type StartingProfile, usageFields } from './attempt-profile.js';
import {
  type AttemptProgress,
  type AttemptRunnerDeps,
  type PlannedAttempt,
  piecesPerLap,
} from './attempt-types.js';

export class AttemptRecord {
  private timeToFirstTokenMs: number | undefined;
  private textCharacters = 0;
  private readonly toolCalls: Array<{ name: string; arguments: string }> = [];
  private usage: Usage | undefined;
  private engine: EngineTimings | undefined;
  private finishReason: string | undefined;

  /**
   * @param started `clock.monotonic()` when the try started.
   * @param progress The observer's progress record for this try, kept up to date.
   * @param release Called first thing when the try is finished: stops it listening to the client's signal.
   */
  constructor(
    private readonly deps: AttemptRunnerDeps,
    private readonly attempt: PlannedAttempt,
    private readonly request: ChatRequest,
    private readonly profile: StartingProfile,
    private readonly started: number,
    private readonly progress: AttemptProgress | undefined,
    private readonly release: () => void,
  ) {}

  elapsedMs(): number {
    return this.deps.clock.monotonic() - this.started;
  }

  /** Notes that the first event has come (or the stream ended without one). Returns the time to it. */
  markFirstEvent(): number {
    const timeToFirstTokenMs = this.elapsedMs();
    this.timeToFirstTokenMs = timeToFirstTokenMs;
    if (this.progress) this.progress.firstEventAt = this.deps.clock.now();
    return timeToFirstTokenMs;
  }

  /** Called for every event handed on: keep it cheap, and allocate nothing beyond a new tool call. */
  observe(event: ChatEvent): void {
    switch (event.type) {
      case 'text-delta':
        this.textCharacters += event.text.length;
        this.countPiece();
        return;
      case 'reasoning-delta':
        this.countPiece();
        return;
      case 'tool-call-start':
        this.toolCalls[event.index] = { name: event.name, arguments: '' };
        return;
      case 'tool-call-delta': {
        const call = this.toolCalls[event.index];
        if (call) call.arguments += event.argumentsDelta;
        this.countPiece();
        return;
      }
      case 'finish':
        this.usage = event.usage;
        this.engine = event.engine;
        this.finishReason = event.finishReason;
        return;
      default:
        return;
    }
  }

  /** One more piece of the answer; every `piecesPerLap` pieces, the time (one clock read per lap). */
  private countPiece(): void {
    const progress = this.progress;
    if (!progress) return;
    progress.pieces += 1;
    if (progress.pieces % piecesPerLap === 0) {
      progress.earlierLapAt = progress.previousLapAt;
      progress.previousLapAt = progress.lapAt;
      progress.lapAt = this.deps.clock.now();
    }
  }

  /** The row's fields from the answer so far; only once the first event has come. */
  answerFields(): Partial<CompletionProfile> {
    return {
      timeToFirstTokenMs: this.timeToFirstTokenMs,
      ...(this.finishReason !== undefined ? { finishReason: this.finishReason } : {}),
      ...usageFields(this.attempt, this.usage),
      ...engineFields(this.engine),
    };
  }

  finish(outcome: CompletionOutcome, details: Partial<CompletionProfile>): void {
    this.release();
    // Object.assign into a fresh object, not `{ ...profile, outcome, durationMs, ...details }`: V8 builds
    // that spread, fields, spread literal of ~30 fields on a slow path (57 µs vs 0.7 µs in a micro-benchmark;
    // in the server's CPU profile this line fell from ~17 to ~5 µs per request).
    const finished: CompletionProfile = Object.assign(
      {},
      this.profile,
      { outcome, durationMs: this.elapsedMs() },
      details,
    );
    // A successful answer is recorded right after the response has gone out (the next turn of the event
    // loop), not before its last bytes: the client does not wait for the profile row, statistics and
    // routing state. Failures are recorded at once, so a following attempt already sees them.
    if (outcome === 'ok') {
      setImmediate(() => {
        // Off the request now: an exception here would end the process, not fail a request.
        try {
          this.report(finished);
        } catch {
          // The profiler guards its own recording; the observer's state is best effort.
        }
      });
    } else {
      this.report(finished);
    }
  }

  private report(finished: CompletionProfile): void {
    this.deps.record(finished);
    this.deps.observer?.finished(this.attempt, this.request, finished, {
      failed: finished.outcome !== 'ok',
      finishReason: finished.finishReason,
      textCharacters: this.textCharacters,
      toolCalls: this.toolCalls,
    });
  }
}
