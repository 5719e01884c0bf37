/**
 * @module bench/routing/adaptation
 * How many requests switchyard takes to adapt to the local model's slowdown: by its learned speed (the
 * speed probe's error against the simulator's truth), by its decisions (no local deadline miss), and by
 * the earlier criterion (served requests' first-token error), kept for comparison with earlier runs.
 */
import type { StoredCompletion } from '../../src/db/profile-repository.js';
import { percentileOf } from '../overhead/stats.js';
import { type Outcome, scoredPredictions } from './analysis.js';
import { probeError, type SpeedProbeSample } from './speed-probe.js';

const median = (values: readonly number[]) => percentileOf(values, 0.5);

export interface Adaptation {
  /**
   * Requests after the slowdown until switchyard has adapted: the larger of `speedRequests` and
   * `decisionRequests`; undefined if either never happens.
   */
  requests: number | undefined;
  /**
   * Requests from the change until the first run of 20 consecutive requests before each of which
   * switchyard's believed local speed (`speed-probe.ts`: its predicted service time for a reference
   * request, first token and total, against the simulator's true one) is within `speedTolerance` (0: the
   * run starts at the change, as for `decisionRequests`; a request without a probe breaks a run).
   * Undefined when the error before the change was not within the tolerance either.
   */
  speedRequests: number | undefined;
  speedTolerance: number;
  /** The median probe error over the half before the change: the steady state, which must be within tolerance. */
  speedErrorBefore: number | undefined;
  /** The probe error right after the change (before anything was learned) and 20 requests later. */
  speedErrorAtChange: number | undefined;
  speedErrorAfter20: number | undefined;
  /**
   * The earlier criterion, kept for comparison with earlier runs: requests from the change until the
   * rolling median error of the first-token predictions of the last 5 post-change requests served
   * locally is back within `predictionTolerance`. It mixes the learned speed with slot waits, and can
   * only be met once 5 requests were served locally, which after a slowdown takes ~25 requests.
   */
  predictionRequests: number | undefined;
  /** 15 %, or switchyard's own first-token error before the change (after 20 completions) if larger. */
  predictionTolerance: number;
  /**
   * Requests from the change until the first run of 20 consecutive requests in which no request served
   * locally misses its deadline (0: the run starts at the change).
   */
  decisionRequests: number | undefined;
  /** Post-change requests served locally that missed their deadline. */
  localMisses: number;
  /** Post-change local completions until the prediction condition held. */
  localCompletionsToRecover: number | undefined;
}

/** Rolling window of post-change local completions for the prediction condition. */
const adaptationWindow = 5;
/** The prediction condition's tolerance: 15 %, or the error switchyard had before the change if larger. */
const adaptationTolerance = 0.15;
/** Consecutive requests without a local deadline miss for the decision condition, or with an accurate speed. */
const cleanRun = 20;

/** The index (into `flags`) where the first run of `cleanRun` true flags starts. */
function firstCleanRun(flags: readonly boolean[]): number | undefined {
  let run = 0;
  for (const [index, flag] of flags.entries()) {
    run = flag ? run + 1 : 0;
    if (run === cleanRun) return index - cleanRun + 1;
  }
  return undefined;
}

function speedAdaptation(probes: readonly SpeedProbeSample[], slowdownAt: number, requests: number) {
  const byIndex = new Map(probes.map((probe) => [probe.index, probe]));
  const before = probes.filter((probe) => probe.index >= slowdownAt / 2 && probe.index < slowdownAt);
  const speedErrorBefore = before.length > 0 ? median(before.map(probeError)) : undefined;
  // Per request from the change on: was the learned speed within tolerance? A missing probe is a no.
  const within: boolean[] = [];
  for (let index = slowdownAt; index < requests; index++) {
    const probe = byIndex.get(index);
    within.push(probe !== undefined && probeError(probe) <= adaptationTolerance);
  }
  const errorAt = (offset: number) => {
    const probe = byIndex.get(slowdownAt + offset);
    return probe === undefined ? undefined : probeError(probe);
  };
  // Adapting means getting back to the steady state's accuracy: a model already off before the change
  // cannot be said to have adapted to it (and one already pessimistic would pass at once).
  const steady = speedErrorBefore !== undefined && speedErrorBefore <= adaptationTolerance;
  return {
    speedRequests: steady ? firstCleanRun(within) : undefined,
    speedTolerance: adaptationTolerance,
    speedErrorBefore,
    speedErrorAtChange: errorAt(0),
    speedErrorAfter20: errorAt(20),
  };
}

export function adaptationOf(
  rows: readonly StoredCompletion[],
  outcomes: readonly Outcome[],
  slowdownAt: number,
  probes: readonly SpeedProbeSample[],
  requests: number,
): Adaptation {
  const local = [...scoredPredictions(rows).entries()]
    .filter(([model]) => model.startsWith('ollama/'))
    .flatMap(([, list]) => list)
    .sort((left, right) => left.requestIndex - right.requestIndex);
  const settledBefore = local.filter((entry) => entry.rank >= 20 && entry.requestIndex < slowdownAt);
  const tolerance = Math.max(adaptationTolerance, median(settledBefore.map((entry) => entry.ttftError)) || 0);
  const after = local.filter((entry) => entry.requestIndex >= slowdownAt);
  let predictionRecoveredAt: number | undefined;
  let localCompletionsToRecover: number | undefined;
  for (let end = adaptationWindow; end <= after.length; end++) {
    const window = after.slice(end - adaptationWindow, end);
    if (median(window.map((entry) => entry.ttftError)) <= tolerance) {
      predictionRecoveredAt = window[window.length - 1]!.requestIndex;
      localCompletionsToRecover = end;
      break;
    }
  }
  const postChange = outcomes
    .filter((outcome) => outcome.index >= slowdownAt)
    .sort((left, right) => left.index - right.index);
  const missed = postChange.map((outcome) => outcome.local && !outcome.met);
  // The first request from which `cleanRun` requests in a row have no local deadline miss.
  const decisionRequests = firstCleanRun(missed.map((miss) => !miss));
  const predictionRequests =
    predictionRecoveredAt === undefined ? undefined : predictionRecoveredAt - slowdownAt + 1;
  const speed = speedAdaptation(probes, slowdownAt, requests);
  return {
    requests:
      speed.speedRequests === undefined || decisionRequests === undefined
        ? undefined
        : Math.max(speed.speedRequests, decisionRequests),
    ...speed,
    predictionRequests,
    predictionTolerance: tolerance,
    decisionRequests,
    localMisses: missed.filter(Boolean).length,
    localCompletionsToRecover,
  };
}
