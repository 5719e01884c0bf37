/**
 * @module gateway/committed-answer
 * An attempt's answer once its first event has arrived: from then on it is the one the client gets.
 * Hands on its events, settles the time spent waiting on the upstream, and finishes the try's record
 * when the stream ends, fails, or is abandoned (the consumer stopped reading, or `cancel()` when the
 * client went away, even if the events were never read).
 */
import { GatewayError } from '../errors.js';
import type { ChatEvent } from '../providers/provider.js';
import { classify, outcomeOf } from './attempt-profile.js';
import type { AttemptRecord } from './attempt-record.js';

export class CommittedAnswer {
  private iterating = false;
  private ended = false;
  private cancelled = false;
  private settled = false;

  /**
   * @param first The first event, already read from `iterator`.
   * @param controller Aborts the upstream call.
   * @param onSettled Told once how long the upstream was waited on, when the stream has ended.
   */
  constructor(
    private readonly record: AttemptRecord,
    private readonly iterator: AsyncIterator<ChatEvent>,
    private readonly first: ChatEvent,
    private readonly controller: AbortController,
    private readonly clientSignal: AbortSignal,
    private readonly onSettled: (upstreamMs: number) => void,
  ) {}

  /** The answer's events, the first included. Read it once. */
  async *events(): AsyncGenerator<ChatEvent> {
    this.iterating = true;
    const { record, iterator, first } = this;
    try {
      record.observe(first);
      yield first;
      for (;;) {
        const next = await iterator.next();
        if (next.done) break;
        record.observe(next.value);
        yield next.value;
      }
      this.ended = true;
      this.settle();
      record.finish('ok', record.answerFields());
    } catch (thrown) {
      this.ended = true;
      this.settle();
      const error = this.cancelled
        ? new GatewayError('client_aborted', 'The client closed the request before it finished.')
        : classify(thrown, this.clientSignal);
      record.finish(outcomeOf(error), {
        errorKind: error.kind,
        errorMessage: error.message,
        ...record.answerFields(),
      });
      throw error;
    } finally {
      if (!this.ended) {
        // The consumer stopped early: the client went away mid-answer. Stop the upstream too.
        this.ended = true;
        this.abandon();
      }
    }
  }

  /** Milliseconds the upstream has been waited on and not yet settled: 0 once the stream has ended. */
  pendingMs(): number {
    return this.settled ? 0 : this.record.elapsedMs();
  }

  /** Abandons the answer (client gone), whether or not its events are being read. */
  cancel(): void {
    if (this.ended) return;
    this.cancelled = true;
    if (!this.iterating) {
      this.ended = true;
      this.abandon();
      return;
    }
    // Mid-iteration the generator may be awaiting the upstream: abort now rather than at its next yield.
    this.controller.abort(new Error('client closed the stream'));
  }

  private settle(): void {
    if (this.settled) return;
    this.settled = true;
    this.onSettled(this.record.elapsedMs());
  }

  private abandon(): void {
    this.settle();
    this.controller.abort(new Error('client closed the stream'));
    void this.iterator.return?.(undefined).catch(() => undefined);
    this.record.finish('client_aborted', { errorKind: 'client_aborted', ...this.record.answerFields() });
  }
}
