/**
 * @module routing/decision-attempts
 * The attempts of a routing decision and how long each may wait for its first token: local models with
 * the cloud as fallback, or the cloud with the fastest local model as a last resort. A local attempt gives
 * up early enough for the next one to be useful, never before the first token the decision counted on.
 */

import type { CloudCandidate, Decision, DecisionAttempt } from './decide.js';
import type { RequestFeatures } from './features.js';
import type { ScoredLocal } from './local-scoring.js';

/** A local attempt followed by another is given at least this long for its first token. */
const minimumFirstTokenDeadlineMs = 500;

export function fastestOf(entries: readonly ScoredLocal[]): ScoredLocal | undefined {
  let best: ScoredLocal | undefined;
  for (const entry of entries) if (!best || entry.times.totalMs < best.times.totalMs) best = entry;
  return best;
}

function localAttempt(
  entry: ScoredLocal,
  deadlines: Decision['deadlines'],
  followed: boolean,
  slack: FallbackSlack = noFallback,
  /** Another local attempt comes before it. */
  later = false,
): DecisionAttempt {
  const attempt: DecisionAttempt = {
    provider: entry.candidate.provider,
    model: entry.candidate.model,
    locality: 'local',
    predicted: entry.times,
  };
  if (followed) {
    // Give up on a stalled local model early enough that the next attempt can still be useful, but never
    // before the first token the decision counted on (at `deadline_quantile`) nor, for the cut below
    // that uses both deadlines, its 90th percentile; and never below the 500 ms floor.
    let deadline = Math.min(
      deadlines.ttftMs,
      Math.max(minimumFirstTokenDeadlineMs, 2 * entry.times.ttftHighMs),
    );
    // No later than the cloud fallback can still meet both deadlines (its total is the cautious one).
    let giveUpBy = Number.POSITIVE_INFINITY;
    if (slack.bothMs >= Math.max(entry.ttftBoundMs, entry.times.ttftHighMs)) giveUpBy = slack.bothMs;
    // Nor later than the fallback's own first token can still come within the first-token deadline:
    // past that point a local first token is worth less than the fallback's in time, and the answer behind
    // it is late as often as not. Routing bench, seed 7: two requests waited the full 20 s for a local
    // first token and got the cloud's at 21.1-21.5 s.
    if (slack.firstTokenMs >= entry.ttftBoundMs) giveUpBy = Math.min(giveUpBy, slack.firstTokenMs);
    // (No closure for this: under tsx, which keeps function names, each one costs a defineProperty per
    // call, and this runs for every local candidate of every decision.)
    if (Number.isFinite(giveUpBy)) {
      deadline = Math.min(deadline, Math.max(minimumFirstTokenDeadlineMs, giveUpBy));
    }
    // A second local model never holds the cloud past its slack: the runner skips it when less is left
    // than the first token it was chosen on (always, when that lies past the slack).
    // (Not when the cloud cannot meet the first-token deadline anyway.)
    if (later && slack.firstTokenMs > 0) giveUpBy = Math.min(giveUpBy, slack.firstTokenMs);
    if (Number.isFinite(giveUpBy)) {
      // The slack runs from the request's start, an attempt's deadline from its own: the runner holds a
      // later attempt (a second local model) to what is left of it.
      attempt.firstTokenByMs = Math.round(Math.max(minimumFirstTokenDeadlineMs, giveUpBy));
      attempt.firstTokenNeededMs = Math.round(entry.ttftBoundMs);
    }
    attempt.firstTokenDeadlineMs = Math.round(deadline);
  }
  return attempt;
}

/**
 * How long a local attempt can run without a first token before the cloud fallback could no longer meet
 * the first-token deadline (`firstTokenMs`), and both deadlines (`bothMs`; its total is cautious: the
 * output budget, not the typical answer), by their 90th percentiles.
 */
interface FallbackSlack {
  firstTokenMs: number;
  bothMs: number;
}

const noFallback: FallbackSlack = {
  firstTokenMs: Number.POSITIVE_INFINITY,
  bothMs: Number.POSITIVE_INFINITY,
};

export function fallbackSlack(
  fallback: DecisionAttempt | undefined,
  deadlines: Decision['deadlines'],
): FallbackSlack {
  if (!fallback?.predicted) return noFallback;
  const firstTokenMs = deadlines.ttftMs - fallback.predicted.ttftHighMs;
  return { firstTokenMs, bothMs: Math.min(firstTokenMs, deadlines.totalMs - fallback.predicted.totalHighMs) };
}

/** Local attempts first (in the given order), then the cloud as fallback. */
export function localAttempts(
  entries: readonly ScoredLocal[],
  cloud: readonly CloudCandidate[],
  deadlines: Decision['deadlines'],
  features?: RequestFeatures,
): DecisionAttempt[] {
  const fallback = features ? cloud.map((candidate) => cloudAttempt(candidate, features)) : [];
  const slack = fallbackSlack(fallback[0], deadlines);
  const attempts = entries.map((entry, index) =>
    localAttempt(entry, deadlines, index < entries.length - 1 || fallback.length > 0, slack, index > 0),
  );
  return [...attempts, ...fallback];
}

/** Cloud attempts first, then the fastest local model as a last resort if every cloud attempt fails. */
export function cloudAttempts(
  cloud: readonly CloudCandidate[],
  features: RequestFeatures,
  local: readonly ScoredLocal[],
): DecisionAttempt[] {
  const attempts = cloud.map((candidate) => cloudAttempt(candidate, features));
  const lastResort = fastestOf(local);
  if (lastResort)
    attempts.push(localAttempt(lastResort, { ttftMs: Number.POSITIVE_INFINITY, totalMs: 0 }, false));
  return attempts;
}

export function cloudAttempt(candidate: CloudCandidate, features: RequestFeatures): DecisionAttempt {
  const ttftMs = candidate.typicalTtftMs;
  // Per token, inline rather than a named closure (see `localAttempt`).
  const msPerToken = 1000 / candidate.typicalOutputTokensPerSecond;
  const totalMs = ttftMs + (features.typicalOutputTokens ?? features.expectedOutputTokens) * msPerToken;
  // The high bound keeps the cautious output budget: the cloud is the fallback that must hold.
  const totalHighMs = (ttftMs + features.expectedOutputTokens * msPerToken) * 1.5;
  return {
    provider: candidate.provider,
    model: candidate.model,
    locality: 'cloud',
    predicted: { ttftMs, totalMs, ttftHighMs: ttftMs * 2, totalHighMs },
  };
}
