/**
 * @module routing/decide
 * The routing decision: a pure function of the request's features, what is known about each local and
 * cloud candidate, the policy, the day's cloud spend, `now` and `random`. It returns plain data — ordered
 * attempts, a reason code, a sentence, predicted times — that the gateway acts on, puts in headers and
 * stores. Local first whenever the prediction says local meets the request's deadlines; the cloud when
 * it must; and never the cloud when a privacy rule, `local_only` or the budget says so.
 */
import type { ComplexityClass, RoutingConfig } from '../config/schema.js';
import { cloudAttempt, cloudAttempts, fallbackSlack, fastestOf, localAttempts } from './decision-attempts.js';
import type { RequestFeatures } from './features.js';
import type { FittedLatencyModel } from './latency-model.js';
import { meetsDeadlines, optimisticallyMeets, type ScoredLocal, scoreLocal } from './local-scoring.js';
import { normalQuantile } from './normal-distribution.js';
import { type ReasonCode, reasonSentence } from './reasons.js';

export interface LocalCandidate {
  provider: string;
  model: string;
  latency: FittedLatencyModel;
  /** In memory now (from /api/ps and recent completions). */
  loaded: boolean;
  /** Not loaded, but a load for a request in flight has been running this long (see `LatencyQuery`). */
  loadingForMs?: number;
  /** Requests switchyard has running on this model now. */
  inFlight: number;
  parallelSlots: number;
  /** Expected wait for a free slot, from the running requests' own predictions, when known. */
  queueWaitMs?: number;
  contextLength: number | undefined;
  /** Prompt tokens (estimated) the engine likely still has cached for this request. */
  expectedCachedTokens: number;
  /** Circuit closed (or half-open with no probe running) and the engine reachable. */
  available: boolean;
  /** Learned share of good answers for this request's complexity class. */
  successRate: number;
  /**
   * While its load time is the prior's: the longest first-token time an earlier probe of its load got
   * (none measured the load). A new probe must get clearly longer.
   */
  loadProbedForMs?: number;
}

export interface CloudCandidate {
  provider: string;
  model: string;
  available: boolean;
  contextLength: number | undefined;
  /** Typical time to first token and output rate, from this model's recent completions or priors. */
  typicalTtftMs: number;
  typicalOutputTokensPerSecond: number;
}

/** The policy as decide() reads it: the config's routing section with the alias's deadlines applied. */
export interface RoutingPolicy
  extends Pick<
    RoutingConfig,
    | 'ttft_deadline_ms'
    | 'total_deadline_ms'
    | 'max_local_prompt_tokens'
    | 'local_complexity'
    | 'min_local_success_rate'
    | 'deadline_quantile'
    | 'explore_rate'
    | 'local_only'
    | 'daily_budget_dollars'
  > {
  privacyPatterns: readonly RegExp[];
}

export interface RequestOverrides {
  /** `x-switchyard-route`. */
  route?: 'local' | 'cloud' | 'auto';
  /** `x-switchyard-deadline-ms`: the whole answer's deadline for this request. */
  deadlineMs?: number;
  /** The privacy header was set. */
  private?: boolean;
}

export interface DecisionInput {
  features: RequestFeatures;
  local: readonly LocalCandidate[];
  cloud: readonly CloudCandidate[];
  policy: RoutingPolicy;
  overrides: RequestOverrides;
  spentTodayDollars: number;
  now: number;
  random: () => number;
}

export interface PredictedTimes {
  ttftMs: number;
  totalMs: number;
  /** Upper bound of the interval (90th percentile). */
  ttftHighMs: number;
  totalHighMs: number;
  /** Of the times above, the wait for a free slot (local attempts). */
  queueMs?: number;
  /** Of the times above, the model's load when it is not in memory (local attempts). */
  loadMs?: number;
  /** Of the total, the answer's decoding (local attempts), and the answer length it assumes. */
  decodeMs?: number;
  outputTokens?: number;
}

export interface DecisionAttempt {
  provider: string;
  model: string;
  locality: 'local' | 'cloud';
  /** Abandon for the next attempt when no first token by then (ms from the attempt's start). */
  firstTokenDeadlineMs?: number;
  /**
   * Abandon no later than this many ms from the request's start, whenever the attempt starts: past it
   * the fallback could no longer meet the first-token deadline. Set on a local attempt followed by the
   * cloud when that point leaves it the first token it was chosen on, and on every later local attempt
   * followed by a cloud that can meet the deadline (skipped when too little is left).
   */
  firstTokenByMs?: number;
  /** With `firstTokenByMs`: the first token the decision counted on (at `deadline_quantile`). */
  firstTokenNeededMs?: number;
  predicted?: PredictedTimes;
}

export interface Decision {
  attempts: DecisionAttempt[];
  reason: ReasonCode;
  sentence: string;
  complexity: ComplexityClass;
  deadlines: { ttftMs: number; totalMs: number };
}

/**
 * Below this many completions a local model's prediction rests mostly on priors, which describe a typical
 * laptop GPU and can be off by ten times either way on another machine.
 */
export const calibrationSamples = 3;
/** A calibration probe is only worth sending when the local model gets at least this long for its first token. */
const minimumProbeFirstTokenMs = 100;

export function decide(input: DecisionInput): Decision {
  const { features, policy, overrides } = input;
  const deadlines = {
    ttftMs: Math.min(policy.ttft_deadline_ms, overrides.deadlineMs ?? Number.POSITIVE_INFINITY),
    totalMs: overrides.deadlineMs ?? policy.total_deadline_ms,
  };
  const quantile = normalQuantile(policy.deadline_quantile);
  const scored = input.local
    .filter((candidate) => candidate.available)
    .map((candidate) => scoreLocal(candidate, features, quantile));
  const fitting = scored.filter((entry) => entry.fitsContext);
  const cloud = input.cloud.filter(
    (candidate) =>
      candidate.available &&
      (candidate.contextLength === undefined || features.estimatedPromptTokens < candidate.contextLength),
  );
  const outcome = { deadlines, complexity: features.complexity };

  // Rules that keep a request on this machine whatever the cost.
  const privateRequest =
    overrides.private === true || policy.privacyPatterns.some((pattern) => pattern.test(features.text));
  const keepLocal: ReasonCode | undefined =
    overrides.route === 'local'
      ? 'forced_local'
      : privateRequest
        ? 'private'
        : policy.local_only
          ? 'local_only'
          : policy.daily_budget_dollars !== undefined &&
              input.spentTodayDollars >= policy.daily_budget_dollars
            ? 'budget_exhausted'
            : cloud.length === 0 && overrides.route !== 'cloud'
              ? 'no_cloud_available'
              : undefined;
  if (keepLocal !== undefined) {
    const ordered = [
      ...fitting.filter((entry) => meetsDeadlines(entry, deadlines)),
      ...fitting.filter((entry) => !meetsDeadlines(entry, deadlines)),
    ];
    const chosen = ordered.length > 0 ? ordered : scored;
    return conclude(outcome, keepLocal, localAttempts(chosen, [], deadlines), {
      best: chosen[0],
      spent: input.spentTodayDollars,
      budget: policy.daily_budget_dollars,
    });
  }
  if (overrides.route === 'cloud')
    return conclude(outcome, 'forced_cloud', cloudAttempts(cloud, features, []));

  if (fitting.length === 0) {
    return conclude(
      outcome,
      scored.length === 0 ? 'no_local_model' : 'prompt_too_large',
      // No last resort: a local model the prompt does not fit would only turn the cloud's error into its own.
      cloudAttempts(cloud, features, []),
    );
  }
  if (features.estimatedPromptTokens > policy.max_local_prompt_tokens) {
    return conclude(outcome, 'prompt_too_large', cloudAttempts(cloud, features, fitting), {
      limit: policy.max_local_prompt_tokens,
    });
  }
  if (!policy.local_complexity.includes(features.complexity)) {
    return conclude(outcome, 'complexity_not_allowed', cloudAttempts(cloud, features, fitting));
  }
  const reliable = fitting.filter((entry) => entry.candidate.successRate >= policy.min_local_success_rate);
  if (reliable.length === 0) {
    const promising = fitting.filter((entry) => optimisticallyMeets(entry, deadlines));
    if (promising.length > 0 && input.random() < policy.explore_rate) {
      return conclude(
        outcome,
        'exploring',
        localAttempts(promising.slice(0, 1), cloud, deadlines, features),
        {
          best: promising[0],
        },
      );
    }
    return conclude(outcome, 'local_unreliable', cloudAttempts(cloud, features, fitting), {
      best: fitting[0],
    });
  }
  const fast = reliable.filter((entry) => meetsDeadlines(entry, deadlines));
  if (fast.length > 0) {
    return conclude(outcome, 'local_fast_enough', localAttempts(fast, cloud, deadlines, features), {
      best: fast[0],
    });
  }
  // A local model with too few completions to trust its prediction, or cold with a load time never
  // measured: try it when the cloud can still meet the deadlines if the local model has not produced its
  // first token by then. Learning its speed then costs no deadline, however wrong the priors are for this
  // machine (and the engine, loading the model, has it ready for the requests after).
  const probe = calibrationProbe(reliable, cloud, features, deadlines, quantile);
  if (probe) return conclude(outcome, 'exploring', probe.attempts, { best: probe.entry });
  // Keep learning about local models the prediction may be wrong about: now and then, try the most
  // promising one when even its optimistic bound meets the deadlines.
  // Unreliable models are explored too, or one bad verdict would keep a model off forever.
  const promising = fitting.filter((entry) => optimisticallyMeets(entry, deadlines));
  if (promising.length > 0 && input.random() < policy.explore_rate) {
    return conclude(outcome, 'exploring', localAttempts(promising.slice(0, 1), cloud, deadlines, features), {
      best: promising[0],
    });
  }
  return conclude(outcome, 'local_too_slow', cloudAttempts(cloud, features, reliable), {
    best: fastestOf(reliable),
  });
}

/**
 * The decision as returned: its attempts, reason and sentence. A module function rather than a closure
 * in decide(): tsx keeps function names (esbuild's keepNames), so there every named closure costs a
 * defineProperty per call. The bundle `npm start` runs does not keep them; the decide() bench runs
 * under tsx.
 */
function conclude(
  outcome: { deadlines: Decision['deadlines']; complexity: ComplexityClass },
  reason: ReasonCode,
  attempts: DecisionAttempt[],
  facts: SentenceFacts = {},
): Decision {
  return {
    attempts,
    reason,
    sentence: reasonSentence(reason, { ...facts, ...outcome }),
    complexity: outcome.complexity,
    deadlines: outcome.deadlines,
  };
}

function calibrationProbe(
  reliable: readonly ScoredLocal[],
  cloud: readonly CloudCandidate[],
  features: RequestFeatures,
  deadlines: Decision['deadlines'],
  quantile: number,
): { entry: ScoredLocal; attempts: DecisionAttempt[] } | undefined {
  const fallback = cloud[0];
  if (!fallback) return undefined;
  const slackMs = fallbackSlack(cloudAttempt(fallback, features), deadlines).bothMs;
  if (!(slackMs >= minimumProbeFirstTokenMs)) return undefined;
  // The first model with too few completions; else the first cold one with an unmeasured load that
  // would meet the deadlines warm (a warm prediction only for those: cold, unmeasured and not barred).
  const entry =
    reliable.find(
      ({ candidate }) =>
        (candidate.latency.observed ?? candidate.latency.samples) < calibrationSamples &&
        !loadProbeBarred(candidate, slackMs),
    ) ??
    reliable.find(
      ({ candidate }) =>
        !candidate.loaded &&
        candidate.latency.loadFromPrior === true &&
        !loadProbeBarred(candidate, slackMs) &&
        warmMeets(candidate, features, deadlines, quantile),
    );
  if (!entry) return undefined;
  const attempts = localAttempts([entry], cloud, deadlines, features);
  attempts[0]!.firstTokenDeadlineMs = Math.round(slackMs);
  return { entry, attempts };
}

/**
 * A cold model whose load time is the prior's is too slow by the prior: it would never be loaded, and its
 * load never measured (routing bench, seed 3: nothing local after the first idle gap). It is worth a
 * probe when it would meet the deadlines warm (the load is what stands in the way), and when the probe
 * gets clearly longer than earlier probes of its load had (`loadProbeGrowth`): an engine that stops
 * loading when the request is abandoned (Ollama does) would otherwise be set loading and stopped on
 * every request.
 */
function warmMeets(
  candidate: LocalCandidate,
  features: RequestFeatures,
  deadlines: Decision['deadlines'],
  quantile: number,
): boolean {
  const { loadingForMs: _, ...warm } = candidate;
  return meetsDeadlines(scoreLocal({ ...warm, loaded: true }, features, quantile), deadlines);
}

/** A new probe of a model's load gets at least this many times the longest an earlier one got. */
const loadProbeGrowth = 1.5;

/** A cold model whose load is unmeasured needs a probe clearly longer than its last, whichever the reason. */
function loadProbeBarred(candidate: LocalCandidate, slackMs: number): boolean {
  return (
    !candidate.loaded &&
    candidate.latency.loadFromPrior === true &&
    slackMs < loadProbeGrowth * (candidate.loadProbedForMs ?? 0)
  );
}

export interface SentenceFacts {
  best?: ScoredLocal | undefined;
  limit?: number;
  spent?: number;
  budget?: number | undefined;
}
