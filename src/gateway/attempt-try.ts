/**
 * @module gateway/attempt-try
 * One try of a planned attempt: call the upstream and wait for its first event, raced against the
 * attempt's first-token deadline. A try that fails before then has sent the client nothing and comes back
 * as an error for the runner to retry or escalate; one that gets its first event is committed.
 */
import { GatewayError } from '../errors.js';
import type { ChatRequest } from '../openai/chat-request.js';
import type { ChatEvent } from '../providers/provider.js';
import { baseProfile, classify, outcomeOf, type TryPosition } from './attempt-profile.js';
import { AttemptRecord } from './attempt-record.js';
import type { AttemptRunnerDeps, PlannedAttempt, RequestContext } from './attempt-types.js';
import { CommittedAnswer } from './committed-answer.js';

export type TryOutcome =
  | { started: true; answer: CommittedAnswer; timeToFirstTokenMs: number }
  | { started: false; error: GatewayError };

export interface TryOptions extends TryPosition {
  /** Abandon the try when no first event arrives within this many ms (none: wait for it). */
  firstTokenDeadlineMs: number | undefined;
  /** Told how long the upstream was waited on, once a committed answer's stream has ended. */
  onSettled: (upstreamMs: number) => void;
}

export async function tryAttempt(
  deps: AttemptRunnerDeps,
  attempt: PlannedAttempt,
  request: ChatRequest,
  context: RequestContext,
  options: TryOptions,
): Promise<TryOutcome> {
  const controller = new AbortController();
  const onClientAbort = () => controller.abort(context.signal.reason);
  if (context.signal.aborted) onClientAbort();
  else context.signal.addEventListener('abort', onClientAbort, { once: true });

  const startedAt = deps.clock.now();
  const started = deps.clock.monotonic();
  const profile = baseProfile(attempt, request, context, startedAt, options);
  const progress = deps.observer?.started(attempt, request);
  const record = new AttemptRecord(deps, attempt, request, profile, started, progress, () =>
    context.signal.removeEventListener('abort', onClientAbort),
  );

  let iterator: AsyncIterator<ChatEvent>;
  try {
    iterator = attempt.provider
      .chat(request, { model: attempt.model, signal: controller.signal, requestId: context.requestId })
      [Symbol.asyncIterator]();
  } catch (thrown) {
    // An adapter that throws before returning its stream still gets a profile row and a finished() call.
    const error = classify(thrown, context.signal);
    record.finish(outcomeOf(error), { errorKind: error.kind, errorMessage: error.message });
    return { started: false, error };
  }

  const first = await firstEvent(attempt, options.firstTokenDeadlineMs, iterator, controller, context.signal);
  if (first instanceof GatewayError) {
    // A missed deadline is a `timeout`, so its row says `deadline_exceeded`.
    record.finish(outcomeOf(first), { errorKind: first.kind, errorMessage: first.message });
    return { started: false, error: first };
  }
  const timeToFirstTokenMs = record.markFirstEvent();
  if (first.done) {
    const error = new GatewayError(
      'stream_interrupted',
      `\`${attempt.provider.id}/${attempt.model}\` ended its answer without any event — retry the request.`,
      { provider: attempt.provider.id },
    );
    record.finish('upstream_error', {
      errorKind: error.kind,
      errorMessage: error.message,
      timeToFirstTokenMs,
    });
    return { started: false, error };
  }
  const answer = new CommittedAnswer(
    record,
    iterator,
    first.value,
    controller,
    context.signal,
    options.onSettled,
  );
  return { started: true, answer, timeToFirstTokenMs };
}

/** The stream's first read, or the error that ended the try before it: a failed read or a missed deadline. */
async function firstEvent(
  attempt: PlannedAttempt,
  deadlineMs: number | undefined,
  iterator: AsyncIterator<ChatEvent>,
  controller: AbortController,
  clientSignal: AbortSignal,
): Promise<IteratorResult<ChatEvent> | GatewayError> {
  // Without a deadline (a model the client named, a cloud attempt, the last attempt of a plan) there is
  // nothing to race: no promise that never settles and no Promise.race per try.
  if (deadlineMs === undefined) {
    try {
      return await iterator.next();
    } catch (thrown) {
      return classify(thrown, clientSignal);
    }
  }
  let deadlineHit = false;
  let timer: NodeJS.Timeout | undefined;
  // Raced against the first event rather than relying on the adapter to honour its abort signal, so a
  // stalled upstream can never hold the request past the deadline.
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      deadlineHit = true;
      controller.abort(new Error('first-token deadline'));
      reject(new Error('first-token deadline'));
    }, deadlineMs);
  });

  const read = iterator.next();
  let first: IteratorResult<ChatEvent>;
  try {
    first = await Promise.race([read, deadline]);
  } catch (thrown) {
    clearTimeout(timer);
    if (!deadlineHit) return classify(thrown, clientSignal);
    // The abandoned first read settles later (usually as an abort): nobody waits for it any more.
    read.catch(() => undefined);
    iterator.return?.(undefined)?.catch(() => undefined);
    return new GatewayError(
      'timeout',
      `\`${attempt.provider.id}/${attempt.model}\` produced no first token within ${deadlineMs} ms.`,
      { provider: attempt.provider.id },
    );
  }
  clearTimeout(timer);
  return first;
}
