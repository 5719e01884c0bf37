/**
 * @module gateway/load-probes
 * What routing remembers of the probes of a local model's load while its load time is still the prior's:
 * the longest first-token time a probe that set the model loading got. decide's load probe asks for
 * clearly longer before trying again, so that an engine that stops loading when the request is
 * abandoned (Ollama does) is not set loading and stopped on every request.
 */
import type { Decision, LocalCandidate } from '../routing/decide.js';

export class LoadProbes {
  private readonly longestMs = new Map<string, number>();

  /**
   * The longest an earlier probe of the model's load got, to pass to decide (`loadProbedForMs`).
   * Forgotten once the model is seen in memory: this engine does finish loads, and the next cold spell
   * starts afresh; and meaningless once a cold start has measured the load.
   */
  before(id: string, candidate: Pick<LocalCandidate, 'loaded' | 'latency'>): number | undefined {
    if (candidate.loaded) this.longestMs.delete(id);
    return candidate.latency.loadFromPrior ? this.longestMs.get(id) : undefined;
  }

  /** After a decision: a probe that sets a cold model loading, with its load time the prior's, is remembered. */
  decided(
    id: string,
    decision: Pick<Decision, 'reason' | 'attempts'>,
    first: LocalCandidate | undefined,
  ): void {
    const deadlineMs = decision.attempts[0]?.firstTokenDeadlineMs;
    const startsLoad = first !== undefined && !first.loaded && first.loadingForMs === undefined;
    if (decision.reason !== 'exploring' || !startsLoad || deadlineMs === undefined) return;
    if (first.latency.loadFromPrior !== true) return;
    this.longestMs.set(id, Math.max(this.longestMs.get(id) ?? 0, deadlineMs));
  }
}
