/**
 * @module bench/overhead/cell
 * One cell of the benchmark (streamed or not, at one concurrency): a warm-up per target, then rounds
 * of one small batch per target in a rotating order, so that the drift of a shared machine falls on
 * every target alike. Records latencies, the proxies' CPU time per request and switchyard's peak RSS.
 */
import { type LoadTarget, runBatch, type Sample } from './load.js';
import { RssSampler, readCpuMs } from './process-stats.js';
import {
  addedOver,
  type CellResult,
  type ProxyName,
  ratioOf,
  type TargetName,
  targetOrder,
} from './report.js';
import { summarise, type TargetSummary } from './stats.js';

export interface CellSettings {
  /** Measured requests per target. */
  requests: number;
  /** Requests per target per round. */
  batch: number;
  /** Unmeasured requests per target first. */
  warmup: number;
  /** The cell stops after this many seconds even if rounds remain. */
  capSeconds: number;
}

interface Accumulator {
  samples: Sample[];
  errors: number;
  firstError?: string;
  busyMs: number;
  cpuMs: number;
}

export async function runCell(
  settings: CellSettings,
  targets: Partial<Record<TargetName, LoadTarget>>,
  cell: { stream: boolean; concurrency: number },
  /** Processes whose CPU time is charged to their target (the simulator serves everyone: not "direct"). */
  pids: Partial<Record<ProxyName, number>> & { switchyard: number },
): Promise<CellResult> {
  const names = targetOrder.filter((name) => targets[name] !== undefined);
  const { concurrency } = cell;
  for (const name of names) await runBatch(targets[name]!, settings.warmup, concurrency);

  const accumulators = new Map<TargetName, Accumulator>(
    names.map((name) => [name, { samples: [], errors: 0, busyMs: 0, cpuMs: 0 }]),
  );
  const pidOf = (name: TargetName) => (name === 'direct' ? undefined : pids[name]);
  const rss = new RssSampler(pids.switchyard);
  const baselineRss = pids.baseline === undefined ? undefined : new RssSampler(pids.baseline);
  rss.start();
  baselineRss?.start();
  const deadline = performance.now() + settings.capSeconds * 1000;
  const rounds = Math.ceil(settings.requests / settings.batch);
  let round = 0;
  for (; round < rounds && performance.now() < deadline; round++) {
    const count = Math.min(settings.batch, settings.requests - round * settings.batch);
    // Rotate who goes first, so no target always follows an idle gap or another's burst.
    for (let offset = 0; offset < names.length; offset++) {
      const name = names[(round + offset) % names.length]!;
      const pid = pidOf(name);
      const cpuBefore = pid === undefined ? undefined : readCpuMs(pid);
      const result = await runBatch(targets[name]!, count, concurrency);
      const cpuAfter = pid === undefined ? undefined : readCpuMs(pid);
      const accumulator = accumulators.get(name)!;
      if (cpuBefore !== undefined && cpuAfter !== undefined) accumulator.cpuMs += cpuAfter - cpuBefore;
      for (const sample of result.samples) accumulator.samples.push(sample);
      accumulator.errors += result.errors;
      if (result.firstError !== undefined) accumulator.firstError ??= result.firstError;
      accumulator.busyMs += result.elapsedMs;
    }
  }
  const peakRss = rss.stop();
  const baselinePeakRss = baselineRss?.stop();

  const summaries: Partial<Record<TargetName, TargetSummary>> = {};
  for (const name of names) {
    const { samples, errors, busyMs, firstError, cpuMs } = accumulators.get(name)!;
    const summary = summarise(samples, errors, busyMs, firstError);
    if (pidOf(name) !== undefined) summary.cpuMsPerRequest = cpuMs / Math.max(1, samples.length + errors);
    summaries[name] = summary;
  }
  const direct = summaries.direct!;
  const added = {
    floor: addedOver(direct, summaries.floor!),
    ...(summaries.translator ? { translator: addedOver(direct, summaries.translator) } : {}),
    ...(summaries.stack ? { stack: addedOver(direct, summaries.stack) } : {}),
    switchyard: addedOver(direct, summaries.switchyard!),
    ...(summaries.baseline ? { baseline: addedOver(direct, summaries.baseline) } : {}),
  };
  const ratioTo = (proxy: { p50: number; p99: number }) => ({
    p50: ratioOf(proxy.p50, added.floor.p50),
    p99: ratioOf(proxy.p99, added.floor.p99),
  });
  return {
    stream: cell.stream,
    concurrency,
    rounds: round,
    truncated: round < rounds,
    targets: { ...summaries, direct, floor: summaries.floor!, switchyard: summaries.switchyard! },
    added,
    ratio: ratioTo(added.switchyard),
    ...(added.baseline ? { baselineRatio: ratioTo(added.baseline) } : {}),
    switchyardPeakRssBytes: peakRss,
    ...(baselinePeakRss !== undefined ? { baselinePeakRssBytes: baselinePeakRss } : {}),
  };
}

/** The knobs of a whole run's cells, shared by the Ollama and the cloud overhead benches. */
export interface CellPlan {
  concurrencies: number[];
  highConcurrency: number;
  requestsLow: number;
  requestsHigh: number;
  batchLow: number;
  batchHigh: number;
  warmupLow: number;
  warmupHigh: number;
  cellCapSeconds: number;
}

type TargetsForMode = (stream: boolean) => Partial<Record<TargetName, LoadTarget>>;

/**
 * Warms every target up in both modes (JIT, connection pools, the simulators' caches) before anything
 * is measured, then runs one cell per concurrency and mode, calling `report` after each.
 */
export async function runCells(
  plan: CellPlan,
  targetsFor: TargetsForMode,
  pids: Partial<Record<ProxyName, number>> & { switchyard: number },
  report: (cell: CellResult) => void,
): Promise<CellResult[]> {
  for (const stream of [false, true]) {
    for (const target of Object.values(targetsFor(stream))) {
      await runBatch(target, plan.warmupLow * 2, 1);
      if (plan.concurrencies.includes(plan.highConcurrency)) {
        await runBatch(target, plan.warmupHigh, plan.highConcurrency);
      }
    }
  }
  const cells: CellResult[] = [];
  for (const concurrency of [...new Set(plan.concurrencies)]) {
    for (const stream of [false, true]) {
      const high = concurrency > 1;
      const cell = await runCell(
        {
          requests: high ? plan.requestsHigh : plan.requestsLow,
          batch: high ? plan.batchHigh : plan.batchLow,
          warmup: high ? plan.warmupHigh : plan.warmupLow,
          capSeconds: plan.cellCapSeconds,
        },
        targetsFor(stream),
        { stream, concurrency },
        pids,
      );
      cells.push(cell);
      report(cell);
    }
  }
  return cells;
}
