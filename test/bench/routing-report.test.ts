/**
 * @module test/bench/routing-report
 * The routing bench's verdicts: each of the targets as written, and the two that no router can
 * meet on the workload (total time, local share against an oracle that knows answer lengths) restated
 * against what can be known before an answer. A restatement must not pass what it should fail.
 */
import { describe, expect, it } from 'vitest';
import type { ModelPrediction, PredictionErrors, StrategySummary } from '../../bench/routing/analysis.js';
import { evaluateTargets, type Verdict, verdictsPassed } from '../../bench/routing/report.js';

const errors = (ttft: number, total: number): PredictionErrors => ({
  count: 60,
  ttft,
  total,
  ttftRatio: 1,
  totalRatio: 1,
});

function localPrediction(options: {
  ttft: number;
  total: number;
  givenLength: number;
  lengthBlindTotal: number;
}): ModelPrediction {
  const slice = errors(options.ttft, options.total);
  return {
    model: 'ollama/qwen2.5-coder:7b',
    completions: 80,
    after20Queued: slice,
    after20Unqueued: slice,
    outputLengthFloor: options.lengthBlindTotal,
    queueWaitFloor: { queued: 0.2, all: 0.12 },
    givenLengthTotal: options.givenLength,
    overall: slice,
    after20: slice,
    before: slice,
    after: slice,
    after20Before: slice,
    after20After: slice,
  };
}

function summary(name: string, met: number, local: number, prediction?: ModelPrediction): StrategySummary {
  return {
    name,
    requests: 240,
    failed: 0,
    met: { all: met, before: met, after: met },
    local: { all: local, before: local, after: local },
    cloudCostDollars: 0,
    latency: { p50: 1, p95: 2 },
    ttft: { p50: 1, p95: 2 },
    escalations: 0,
    localMisses: 0,
    wallSeconds: 1,
    reasons: {},
    ...(prediction ? { predictions: [prediction] } : {}),
    ...(name === 'switchyard'
      ? {
          adaptation: {
            requests: 2,
            speedRequests: 2,
            speedTolerance: 0.15,
            speedErrorBefore: 0.02,
            speedErrorAtChange: 0.6,
            speedErrorAfter20: 0.02,
            predictionRequests: 30,
            predictionTolerance: 0.15,
            decisionRequests: 0,
            localMisses: 0,
            localCompletionsToRecover: 5,
          },
        }
      : {}),
  };
}

/** Summaries shaped like run 19's, with switchyard's figures changed: `run19Summaries({ total: 0.3 })`. */
function run19Summaries(
  change: { met?: number; local?: number; ttft?: number; total?: number; givenLength?: number } = {},
): StrategySummary[] {
  const prediction = localPrediction({
    ttft: change.ttft ?? 0.14,
    total: change.total ?? 0.22,
    givenLength: change.givenLength ?? 0.048,
    lengthBlindTotal: 0.239,
  });
  return [
    summary('switchyard', change.met ?? 0.988, change.local ?? 0.375, prediction),
    summary('oracle', 1, 0.437),
    summary('length-blind-oracle', 0.963, 0.375),
  ];
}

const run19Like = (change: Parameters<typeof run19Summaries>[0]) => evaluateTargets(run19Summaries(change));

const byTarget = (verdicts: readonly Verdict[], id: Verdict['id'], scope: Verdict['scope']) =>
  verdicts.find((verdict) => verdict.id === id && verdict.scope === scope);

describe('routing bench verdicts', () => {
  // The shape of run 19: first token under the target, total and local share only under restatement.
  const run19 = run19Summaries();

  it('judges first token and total apart, as written', () => {
    const verdicts = evaluateTargets(run19);
    expect(byTarget(verdicts, 'first-token', 'as written')?.passed).toBe(true);
    expect(byTarget(verdicts, 'total', 'as written')?.passed).toBe(false);
    expect(byTarget(verdicts, 'local-share', 'as written')?.passed).toBe(false);
    expect(verdictsPassed(verdicts, 'as written')).toBe(false);
  });

  it('passes the restated targets when switchyard is at the length-blind bounds', () => {
    const verdicts = evaluateTargets(run19);
    expect(byTarget(verdicts, 'total', 'restated')?.passed).toBe(true);
    expect(byTarget(verdicts, 'local-share', 'restated')?.passed).toBe(true);
    expect(verdictsPassed(verdicts, 'restated')).toBe(true);
  });

  it('fails the restated total when the latency model is off even given the length', () => {
    const verdicts = run19Like({ givenLength: 0.16 });
    expect(byTarget(verdicts, 'total', 'restated')?.passed).toBe(false);
    expect(verdictsPassed(verdicts, 'restated')).toBe(false);
  });

  it('fails the restated total when end to end is over 2 points worse than a length-blind prediction', () => {
    const judged = (total: number) => byTarget(run19Like({ total }), 'total', 'restated')?.passed;
    expect(judged(0.255)).toBe(true);
    expect(judged(0.262)).toBe(false);
  });

  it('fails the restated local share when attainment is bought with it, or the share is low', () => {
    const lowAttainment = run19Like({ met: 0.97 });
    expect(byTarget(lowAttainment, 'local-share', 'restated')?.passed).toBe(false);
    const lowShare = run19Like({ local: 0.3 });
    expect(byTarget(lowShare, 'local-share', 'restated')?.passed).toBe(false);
  });

  it('never restates the first-token target: a miss there fails both ways', () => {
    const verdicts = run19Like({ ttft: 0.157 });
    expect(byTarget(verdicts, 'first-token', 'restated')).toBeUndefined();
    expect(verdictsPassed(verdicts, 'restated')).toBe(false);
  });

  it('without a length-blind oracle run there is nothing to restate the local share against', () => {
    const verdicts = evaluateTargets(run19.slice(0, 2));
    expect(byTarget(verdicts, 'local-share', 'restated')).toBeUndefined();
    expect(verdictsPassed(verdicts, 'restated')).toBe(false);
  });
});
