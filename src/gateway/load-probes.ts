/**
 * @module gateway/load-probes
 * What routing remembers of the probes of a local model's load while its load time is still the prior's:
 * the longest first-token time a probe that set the model loading got. decide's load probe asks for
 * clearly longer before trying again, so that an engine that stops loading when the request is
 * abandoned (Ollama does) is not set loading and stopped on every request.
 */
import type { Decision, LocalCandidate } from '../routing/decide.js';

/**
 * A bar older than this is dropped: the engine, or what else runs on the machine, may have changed, and
 * one probe per half hour costs little.
 */
const barLifetimeMs = 30 * 60_000;

export class LoadProbes {
  private readonly bars = new Map<string, { longestMs: number; at: number }>();

  /**
   * The longest an earlier probe of the model's load got, to pass to decide (`loadProbedForMs`); nothing
   * once a cold start has measured the load. Reads only (explain() calls it too).
   */
  before(id: string, candidate: Pick<LocalCandidate, 'latency'>, now: number): number | undefined {
    const bar = this.bars.get(id);
    if (!bar || candidate.latency.loadFromPrior !== true || now - bar.at > barLifetimeMs) return undefined;
    return bar.longestMs;
  }

  /** The model is in memory: this engine does finish loads, and the next cold spell starts afresh. */
  seenLoaded(id: string): void {
    this.bars.delete(id);
  }

  /** After a decision: a probe that sets a cold model loading, with its load time the prior's, is remembered. */
  decided(
    id: string,
    decision: Pick<Decision, 'reason' | 'attempts'>,
    first: LocalCandidate | undefined,
    now: number,
  ): void {
    const deadlineMs = decision.attempts[0]?.firstTokenDeadlineMs;
    const startsLoad = first !== undefined && !first.loaded && first.loadingForMs === undefined;
    if (decision.reason !== 'exploring' || !startsLoad || deadlineMs === undefined) return;
    if (first.latency.loadFromPrior !== true) return;
    const earlier = this.before(id, first, now) ?? 0;
    this.bars.set(id, { longestMs: Math.max(earlier, deadlineMs), at: now });
  }
}
