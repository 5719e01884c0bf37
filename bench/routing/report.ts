/**
 * @module bench/routing/report
 * The routing benchmark's verdicts and its printed tables: one row per strategy, switchyard's
 * prediction errors per model, its adaptation to the slowdown, and PASS/FAIL for each target of the
 * issue.
 */
import type { ModelPrediction, PredictionErrors, StrategySummary } from './analysis.js';

export interface Verdict {
  /** Which of the targets: an as-written verdict and its restatement share it. */
  id: 'first-token' | 'total' | 'attainment' | 'local-share' | 'adaptation';
  target: string;
  measured: string;
  passed: boolean;
  /**
   * `as written`: the target, word for word. `restated`: a target as written that no router can
   * meet on this workload, measured against what can be known before an answer instead (its length
   * cannot: the workload draws it per client, independently of the request). Both are printed.
   */
  scope: 'as written' | 'restated';
}

export const targets = {
  /** Median absolute percentage error of the local model's predictions after 20 completions. */
  predictionError: 0.15,
  /** Deadline attainment at most this many points below the oracle's. */
  attainmentPoints: 2,
  /** Local share at least this fraction of the oracle's. */
  localShareOfOracle: 0.9,
  /** Adapts to the slowdown within this many requests. */
  adaptationRequests: 20,
} as const;

const percent = (value: number) => (Number.isFinite(value) ? `${(value * 100).toFixed(1)}%` : 'n/a');
const optionalPercent = (value: number | undefined) => (value === undefined ? 'n/a' : percent(value));
const seconds = (value: number) => (Number.isFinite(value) ? `${value.toFixed(1)} s` : 'n/a');

export function evaluateTargets(summaries: readonly StrategySummary[]): Verdict[] {
  const switchyard = summaries.find((summary) => summary.name === 'switchyard');
  const oracle = summaries.find((summary) => summary.name === 'oracle');
  const blind = summaries.find((summary) => summary.name === 'length-blind-oracle');
  const verdicts: Verdict[] = [];
  if (!switchyard) return verdicts;
  verdicts.push(...predictionVerdicts(switchyard));
  if (oracle) {
    const gap = (oracle.met.all - switchyard.met.all) * 100;
    verdicts.push({
      id: 'attainment',
      target: `deadline attainment within ${targets.attainmentPoints} points of the oracle`,
      measured: `${percent(switchyard.met.all)} vs ${percent(oracle.met.all)} (${gap >= 0 ? '-' : '+'}${Math.abs(gap).toFixed(1)} points)`,
      passed: gap <= targets.attainmentPoints,
      scope: 'as written',
    });
    if (blind) verdicts.push(restatedAttainment(switchyard, oracle, blind));
    verdicts.push(...localShareVerdicts(switchyard, oracle, blind));
  }
  const adaptation = switchyard.adaptation;
  verdicts.push({
    id: 'adaptation',
    target: `adapts to the 3x slowdown within ${targets.adaptationRequests} requests`,
    measured:
      adaptation === undefined
        ? 'n/a'
        : `${adaptation.requests ?? 'never'} requests (learned speed within ${percent(adaptation.speedTolerance)} for 20 requests in a row from: ${adaptation.speedRequests ?? 'never'}, its error ${optionalPercent(adaptation.speedErrorBefore)} before the change, ${optionalPercent(adaptation.speedErrorAtChange)} at it, ${optionalPercent(adaptation.speedErrorAfter20)} 20 requests later; 20 requests in a row without a local miss from: ${adaptation.decisionRequests ?? 'never'}; ${adaptation.localMisses} local misses after the change; earlier criterion, served first-token error back within ${percent(adaptation.predictionTolerance)}: ${adaptation.predictionRequests ?? 'never'})`,
    passed: adaptation?.requests !== undefined && adaptation.requests <= targets.adaptationRequests,
    scope: 'as written',
  });
  return verdicts;
}

/**
 * Attainment against what can be known before the answers: the oracle knows each answer's length, so it
 * serves locally exactly the requests whose answers will be short enough, and meets every deadline a
 * router without that knowledge must gamble on. Restated: within the same points of the oracle, or of
 * the length-blind oracle (every fact of the simulator but the lengths, planning on their 90th
 * percentile), whichever is lower.
 */
function attainmentKnowable(
  switchyard: StrategySummary,
  oracle: StrategySummary,
  blind: StrategySummary,
): { passed: boolean; measured: string } {
  const reference = Math.min(oracle.met.all, blind.met.all);
  const gap = (reference - switchyard.met.all) * 100;
  return {
    passed: gap <= targets.attainmentPoints,
    measured: `met ${percent(switchyard.met.all)}; the oracle ${percent(oracle.met.all)}, the length-blind oracle ${percent(blind.met.all)}`,
  };
}

function restatedAttainment(
  switchyard: StrategySummary,
  oracle: StrategySummary,
  blind: StrategySummary,
): Verdict {
  const { passed, measured } = attainmentKnowable(switchyard, oracle, blind);
  return {
    id: 'attainment',
    target: `deadline attainment within ${targets.attainmentPoints} points of the oracle, or of the length-blind oracle where it is lower`,
    measured,
    passed,
    scope: 'restated',
  };
}

/**
 * The prediction-error target, first token and total apart (they have different limits). The total as
 * written includes the answer's length, which is not known before the answer: restated, switchyard's
 * latency model must be within the target once the length is known, and its end-to-end total within 2
 * points (the slack the issue gives attainment against its oracle) of a prediction that knows the
 * simulator's true speeds and the client's true median length. switchyard has to learn that median
 * from the client's answers, so it can only match the bound in the limit. The first token of a request
 * that waits for a slot depends on how long the answers ahead of it will run: restated, it passes under
 * the target or within 2 points of a prediction that knows every phase exactly and draws those lengths
 * from what switchyard has of them (its clients' last 64 answers), which leaves switchyard's own
 * learning of the phases as the only difference.
 */
function predictionVerdicts(switchyard: StrategySummary): Verdict[] {
  const local = switchyard.predictions?.find((prediction) => prediction.model.startsWith('ollama/'));
  const bound = percent(targets.predictionError);
  if (!local || local.after20.count === 0) {
    return [
      {
        id: 'first-token',
        target: 'prediction error',
        measured: 'no local completions',
        passed: false,
        scope: 'as written',
      },
    ];
  }
  const errors = local.after20;
  const verdicts: Verdict[] = [
    {
      id: 'first-token',
      target: `first-token prediction error (median APE, local model, after 20 completions) <= ${bound}`,
      measured: `${percent(errors.ttft)} (n=${errors.count}; a prediction knowing every phase but the running answers' lengths: ${optionalPercent(local.queueWaitFloor?.all)}, with those lengths as switchyard knows them: ${optionalPercent(local.queueWaitFloorKnown?.all)})`,
      passed: errors.ttft <= targets.predictionError,
      scope: 'as written',
    },
    {
      id: 'total',
      target: `total-time prediction error (median APE, local model, after 20 completions) <= ${bound}`,
      measured: `${percent(errors.total)} (n=${errors.count}; a prediction knowing the true speeds but not the answer's length: ${optionalPercent(local.outputLengthFloor)})`,
      passed: errors.total <= targets.predictionError,
      scope: 'as written',
    },
  ];
  const knownWait = local.queueWaitFloorKnown?.all;
  if (knownWait !== undefined) {
    verdicts.push({
      id: 'first-token',
      target: `first-token prediction error <= ${bound}, or within ${targets.attainmentPoints} points of a prediction knowing every phase exactly and the running answers' lengths as switchyard can (its clients' last 64 answers)`,
      measured: `${percent(errors.ttft)} vs ${percent(knownWait)}`,
      passed:
        errors.ttft <= targets.predictionError || errors.ttft <= knownWait + targets.attainmentPoints / 100,
      scope: 'restated',
    });
  }
  const { givenLengthTotal, outputLengthFloor } = local;
  if (givenLengthTotal !== undefined && outputLengthFloor !== undefined) {
    verdicts.push({
      id: 'total',
      target: `total-time prediction: the latency model given the answer's length <= ${bound}, and end to end within ${targets.attainmentPoints} points of a prediction knowing the true speeds and the client's true median length`,
      measured: `given the length ${percent(givenLengthTotal)}; end to end ${percent(errors.total)} vs ${percent(outputLengthFloor)}`,
      passed:
        givenLengthTotal <= targets.predictionError &&
        errors.total <= outputLengthFloor + targets.attainmentPoints / 100,
      scope: 'restated',
    });
  }
  return verdicts;
}

/**
 * The local-share target. The oracle knows each answer's length, and so serves locally the requests
 * whose answers happen to be short; restated, the share is compared with the length-blind oracle's
 * (every other fact of the simulator known), with attainment held as restated, so that neither is bought
 * with the other.
 */
function localShareVerdicts(
  switchyard: StrategySummary,
  oracle: StrategySummary,
  blind: StrategySummary | undefined,
): Verdict[] {
  const share = percent(targets.localShareOfOracle);
  const ratio = oracle.local.all > 0 ? switchyard.local.all / oracle.local.all : Number.NaN;
  const blindLine = blind
    ? `; the oracle not knowing answer lengths: ${percent(blind.local.all)} (${percent(blind.local.all / oracle.local.all)} of it), met ${percent(blind.met.all)}`
    : '';
  const verdicts: Verdict[] = [
    {
      id: 'local-share',
      target: `local share >= ${share} of the oracle's`,
      measured: `${percent(switchyard.local.all)} vs ${percent(oracle.local.all)} (${percent(ratio)} of it)${blindLine}`,
      passed: ratio >= targets.localShareOfOracle,
      scope: 'as written',
    },
  ];
  if (blind) {
    const blindRatio = blind.local.all > 0 ? switchyard.local.all / blind.local.all : Number.NaN;
    const attainment = attainmentKnowable(switchyard, oracle, blind);
    verdicts.push({
      id: 'local-share',
      target: `local share >= ${share} of the length-blind oracle's, with attainment as restated`,
      measured: `${percent(switchyard.local.all)} vs ${percent(blind.local.all)} (${percent(blindRatio)} of it), ${attainment.measured}`,
      passed: blindRatio >= targets.localShareOfOracle && attainment.passed,
      scope: 'restated',
    });
  }
  return verdicts;
}

function pad(cells: readonly string[], widths: readonly number[]): string {
  return cells
    .map((cell, index) => (index === 0 ? cell.padEnd(widths[index]!) : cell.padStart(widths[index]!)))
    .join('  ');
}

function table(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = header.map((cell, index) => Math.max(cell.length, ...rows.map((row) => row[index]!.length)));
  return [
    pad(header, widths),
    widths.map((width) => '-'.repeat(width)).join('  '),
    ...rows.map((row) => pad(row, widths)),
  ].join('\n');
}

export function strategyTable(summaries: readonly StrategySummary[]): string {
  return table(
    [
      'strategy',
      'met',
      'met before',
      'met after',
      'local',
      'local before',
      'local after',
      'cloud $',
      'p50',
      'p95',
      'failed',
    ],
    summaries.map((summary) => [
      summary.name,
      percent(summary.met.all),
      percent(summary.met.before),
      percent(summary.met.after),
      percent(summary.local.all),
      percent(summary.local.before),
      percent(summary.local.after),
      `$${summary.cloudCostDollars.toFixed(3)}`,
      seconds(summary.latency.p50),
      seconds(summary.latency.p95),
      String(summary.failed),
    ]),
  );
}

function errorCells(errors: PredictionErrors): string[] {
  return [
    String(errors.count),
    percent(errors.ttft),
    percent(errors.total),
    Number.isFinite(errors.ttftRatio) ? errors.ttftRatio.toFixed(2) : 'n/a',
    Number.isFinite(errors.totalRatio) ? errors.totalRatio.toFixed(2) : 'n/a',
  ];
}

export function predictionTable(predictions: readonly ModelPrediction[]): string {
  const rows: string[][] = [];
  for (const prediction of predictions) {
    const slices: Array<[string, PredictionErrors]> = [
      ['all', prediction.overall],
      ['after 20', prediction.after20],
      ['after 20, no slot wait', prediction.after20Unqueued],
      ['after 20, waited for a slot', prediction.after20Queued],
      ['before slowdown', prediction.before],
      ['after slowdown', prediction.after],
      ['after 20, before', prediction.after20Before],
      ['after 20, after', prediction.after20After],
    ];
    for (const [slice, errors] of slices) rows.push([`${prediction.model} ${slice}`, ...errorCells(errors)]);
  }
  const floors = predictions
    .filter((prediction) => prediction.outputLengthFloor !== undefined)
    .map(
      (prediction) =>
        `${prediction.model}: a prediction knowing the true speeds but not the answer's length would have a total MdAPE of ${percent(prediction.outputLengthFloor!)} (after 20)`,
    );
  for (const prediction of predictions) {
    if (prediction.queueWaitFloor) {
      floors.push(
        `${prediction.model}: a first-token prediction knowing every phase but not how long the answers running ahead will be would have a first-token MdAPE of ${percent(prediction.queueWaitFloor.queued)} on the completions that waited for a slot, ${percent(prediction.queueWaitFloor.all)} on all (after 20)`,
      );
    }
    if (prediction.queueWaitFloorKnown) {
      floors.push(
        `${prediction.model}: the same with those lengths drawn from the clients' last 64 answers (what switchyard knows of them): ${percent(prediction.queueWaitFloorKnown.queued)} on the completions that waited, ${percent(prediction.queueWaitFloorKnown.all)} on all (after 20)`,
      );
    }
    if (prediction.givenLengthTotal !== undefined) {
      floors.push(
        `${prediction.model}: given the actual answer length (not known before the answer; not the target's figure), switchyard's latency model has a total MdAPE of ${percent(prediction.givenLengthTotal)} (after 20)`,
      );
    }
  }
  return [
    table(
      ['model, completions', 'n', 'ttft MdAPE', 'total MdAPE', 'ttft pred/meas', 'total pred/meas'],
      rows,
    ),
    ...floors,
  ].join('\n');
}

/**
 * Whether every target passes: as written, or with each target that has a restatement judged by it
 * (the others as written).
 */
export function verdictsPassed(verdicts: readonly Verdict[], scope: Verdict['scope']): boolean {
  if (verdicts.length === 0) return false;
  const restated = new Set(
    verdicts.filter((verdict) => verdict.scope === 'restated').map((verdict) => verdict.id),
  );
  const counts = (verdict: Verdict) =>
    scope === 'as written'
      ? verdict.scope === 'as written'
      : verdict.scope === 'restated' || !restated.has(verdict.id);
  return verdicts.filter(counts).every((verdict) => verdict.passed);
}

export function verdictLines(verdicts: readonly Verdict[]): string {
  return verdicts
    .map(
      (verdict) =>
        `${verdict.passed ? 'PASS' : 'FAIL'}  ${verdict.scope === 'restated' ? '(restated) ' : ''}${verdict.target}: ${verdict.measured}`,
    )
    .join('\n');
}
