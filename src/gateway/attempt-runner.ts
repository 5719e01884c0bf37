/**
 * @module gateway/attempt-runner
 * Runs a request's planned attempts in order until one produces its first event. Until then nothing has
 * reached the client, so a failed attempt can be retried (429/5xx, with backoff) or abandoned for the
 * next one (escalation) without the client ever seeing it. Once an attempt has produced its first
 * event it is committed: a later failure surfaces to the client as an error, never as a silent switch.
 * Every try, failed or not, is profiled.
 */
import { GatewayError } from '../errors.js';
import type { ChatRequest } from '../openai/chat-request.js';
import type { ChatEvent } from '../providers/provider.js';
import { classify } from './attempt-profile.js';
import { tryAttempt } from './attempt-try.js';
import type { AttemptRunnerDeps, PlannedAttempt, RequestContext } from './attempt-types.js';
import { retryDelay } from './retry-policy.js';

export type {
  AttemptAnswer,
  AttemptObserver,
  AttemptProgress,
  AttemptRunnerDeps,
  DecisionRecord,
  PlannedAttempt,
  RequestContext,
} from './attempt-types.js';

/** The attempt that answered, with its event stream (first event included). */
export interface StartedAttempt {
  attempt: PlannedAttempt;
  /** Attempts abandoned before this one, in order. */
  escalatedFrom: PlannedAttempt[];
  events: AsyncGenerator<ChatEvent>;
  /** Milliseconds spent waiting on upstreams so far (all tries, backoffs included): not switchyard's overhead. */
  upstreamWaitMs(): number;
  /** Time to the first event of the winning attempt. */
  timeToFirstTokenMs: number;
  /** Abandons the answer (client gone): stops the upstream and records the attempt, even if `events` was never read. */
  cancel(): void;
}

export async function startAttempts(
  deps: AttemptRunnerDeps,
  plan: readonly PlannedAttempt[],
  request: ChatRequest,
  context: RequestContext,
): Promise<StartedAttempt> {
  if (plan.length === 0) {
    throw new GatewayError(
      'internal',
      'No upstream could be chosen for this request; check the routing policy.',
    );
  }
  const escalatedFrom: PlannedAttempt[] = [];
  const requestStarted = context.receivedAt ?? deps.clock.monotonic();
  let upstreamWaitMs = 0;
  let tryIndex = 0;
  let lastError: GatewayError | undefined;

  for (const [attemptIndex, attempt] of plan.entries()) {
    let tried = false;
    for (let retry = 0; ; retry++) {
      const tryStarted = deps.clock.monotonic();
      const firstTokenDeadlineMs = tryDeadlineMs(attempt, tryStarted - requestStarted, {
        // The plan's first try is what routing chose: capped, never skipped nor cut below its first token.
        first: attemptIndex === 0 && retry === 0,
      });
      // Too little left before the attempts after it need their turn: not worth starting (again).
      if (firstTokenDeadlineMs === 'skip') break;
      tried = true;
      const outcome = await tryAttempt(deps, attempt, request, context, {
        tryIndex: tryIndex++,
        escalatedFrom,
        firstTokenDeadlineMs,
        onSettled: (ms) => {
          upstreamWaitMs += ms;
        },
      });
      if (outcome.started) {
        const { answer } = outcome;
        return {
          attempt,
          escalatedFrom,
          events: answer.events(),
          upstreamWaitMs: () => upstreamWaitMs + answer.pendingMs(),
          timeToFirstTokenMs: outcome.timeToFirstTokenMs,
          cancel: () => answer.cancel(),
        };
      }
      upstreamWaitMs += deps.clock.monotonic() - tryStarted;
      const error = outcome.error;
      lastError = error;
      if (error.kind === 'client_aborted' || context.signal.aborted) throw error;
      const delay = retryDelay(deps.retry, deps.random, error, retry);
      if (delay === undefined) break;
      deps.metrics.retries.inc({ provider: attempt.provider.id, model: attempt.model, kind: error.kind });
      const sleepStarted = deps.clock.monotonic();
      try {
        await deps.clock.sleep(delay, context.signal);
      } catch (thrown) {
        // The sleep rejects with the signal's reason, which Node's server sets to a plain string.
        throw classify(thrown, context.signal);
      }
      upstreamWaitMs += deps.clock.monotonic() - sleepStarted;
    }
    // Escalated from means tried: an attempt skipped for lack of time is not named.
    if (tried && attemptIndex < plan.length - 1) escalatedFrom.push(attempt);
  }
  throw lastError ?? new GatewayError('internal', 'No attempt was made.');
}

/**
 * How long a try of `attempt` may wait for its first event, `elapsedMs` after the request arrived: its
 * own deadline, and no later than what is left until `firstTokenByMs`. With two local models before the
 * cloud, the second would otherwise get the whole of the cloud's slack again from its own start. `skip`
 * when what is left is shorter than the first token routing counted on (`firstTokenNeededMs`, else the
 * predicted one): it would be abandoned before it was likely to answer, only delay the next attempt, and
 * count a miss against a healthy engine's breaker. The plan's `first` try is never skipped, nor cut below
 * that first token: routing chose it, and the time routing took is not its fault.
 */
export function tryDeadlineMs(
  attempt: PlannedAttempt,
  elapsedMs: number,
  options: { first?: boolean } = {},
): number | undefined | 'skip' {
  if (attempt.firstTokenByMs === undefined) return attempt.firstTokenDeadlineMs;
  const leftMs = attempt.firstTokenByMs - elapsedMs;
  const neededMs = attempt.firstTokenNeededMs ?? attempt.predictedTtftMs ?? 0;
  const ownMs = attempt.firstTokenDeadlineMs ?? Number.POSITIVE_INFINITY;
  if (options.first) return Math.ceil(Math.min(ownMs, Math.max(leftMs, neededMs, 1)));
  if (leftMs <= 0 || leftMs < neededMs) return 'skip';
  return Math.ceil(Math.min(ownMs, leftMs));
}
