/**
 * @module bench/overhead/report
 * Turns the measured cells into added latencies, ratios and target verdicts, and prints them as a table
 * (also pasted into bench/RESULTS.md).
 */
import type { TargetSummary } from './stats.js';

/**
 * The proxies measured against direct: the pass-through floor, the translating floor (in the cloud bench,
 * the SDK floor), the stack floor (the Ollama bench only), switchyard and optionally a baseline
 * switchyard.
 */
export type ProxyName = 'floor' | 'translator' | 'stack' | 'switchyard' | 'baseline';
export type TargetName = 'direct' | ProxyName;
/** Every target, in the order they appear in tables. */
export const targetOrder: readonly TargetName[] = [
  'direct',
  'floor',
  'translator',
  'stack',
  'switchyard',
  'baseline',
];

export interface Added {
  p50: number;
  p99: number;
  firstByteP50: number;
  firstByteP99: number;
}

export interface CellResult {
  stream: boolean;
  concurrency: number;
  rounds: number;
  /** The cell hit its time cap before every round ran. */
  truncated: boolean;
  targets: Partial<Record<TargetName, TargetSummary>> &
    Record<'direct' | 'floor' | 'switchyard', TargetSummary>;
  /** Latency each proxy adds over calling the simulator directly (difference of percentiles, ms). */
  added: Partial<Record<ProxyName, Added>> & Record<'floor' | 'switchyard', Added>;
  /** switchyard's added latency over the floor's, at p50 and p99 (undefined when the floor adds ~nothing). */
  ratio: { p50: number | undefined; p99: number | undefined };
  /** The same for the baseline switchyard, when one was measured. */
  baselineRatio?: { p50: number | undefined; p99: number | undefined };
  switchyardPeakRssBytes: number;
  baselinePeakRssBytes?: number;
}

export interface TargetVerdict {
  name: string;
  value: number | undefined;
  limit: string;
  pass: boolean;
}

export function addedOver(direct: TargetSummary, proxy: TargetSummary): Added {
  return {
    p50: proxy.total.p50 - direct.total.p50,
    p99: proxy.total.p99 - direct.total.p99,
    firstByteP50: proxy.firstByte.p50 - direct.firstByte.p50,
    firstByteP99: proxy.firstByte.p99 - direct.firstByte.p99,
  };
}

/** A ratio of two added latencies, undefined when the floor's is too small to divide by meaningfully. */
export function ratioOf(switchyard: number, floor: number): number | undefined {
  return floor > 0.005 ? switchyard / floor : undefined;
}

export function cellLabel(cell: { stream: boolean; concurrency: number }): string {
  return `${cell.stream ? 'stream' : 'json'} c=${cell.concurrency}`;
}

/** The targets: at concurrency 1, added p50 ≤ 0.6 ms, p99 ≤ 3 ms, ≤ 2× the floor; RSS < 150 MB. */
export function evaluateTargets(cells: CellResult[], peakRssBytes: number): TargetVerdict[] {
  const verdicts: TargetVerdict[] = [];
  for (const cell of cells.filter((candidate) => candidate.concurrency === 1)) {
    const label = cellLabel(cell);
    verdicts.push({
      name: `${label}: switchyard added p50`,
      value: cell.added.switchyard.p50,
      limit: '≤ 0.6 ms',
      pass: cell.added.switchyard.p50 <= 0.6,
    });
    verdicts.push({
      name: `${label}: switchyard added p99`,
      value: cell.added.switchyard.p99,
      limit: '≤ 3 ms',
      pass: cell.added.switchyard.p99 <= 3,
    });
    const floorAdded = cell.added.floor.p50;
    verdicts.push({
      name: `${label}: switchyard added p50 / floor added p50`,
      value: cell.ratio.p50,
      limit: '≤ 2×',
      // With a floor that adds nothing measurable, only switchyard adding nothing measurable passes.
      pass: cell.added.switchyard.p50 <= 2 * Math.max(floorAdded, 0.005),
    });
  }
  verdicts.push({
    name: 'switchyard peak RSS under load',
    value: peakRssBytes / 2 ** 20,
    limit: '< 150 MB',
    pass: peakRssBytes < 150 * 2 ** 20,
  });
  return verdicts;
}

const ms = (value: number) => (Number.isFinite(value) ? value.toFixed(3) : 'n/a');
const signed = (value: number) =>
  Number.isFinite(value) ? `${value >= 0 ? '+' : ''}${value.toFixed(3)}` : 'n/a';
const ratio = (value: number | undefined) => (value === undefined ? 'n/a' : `${value.toFixed(2)}×`);

/** A Markdown table: one row per cell and target. Latencies in ms. */
export function formatTable(cells: CellResult[]): string {
  const header = [
    'cell',
    'target',
    'requests',
    'req/s',
    'p50',
    'p99',
    'TTFB p50',
    'TTFB p99',
    'added p50',
    'added p99',
    'added TTFB p50',
    '× floor p50',
    '× floor p99',
    'CPU ms/req',
    'peak RSS MB',
  ];
  const rows: string[][] = [];
  for (const cell of cells) {
    for (const name of targetOrder) {
      const summary = cell.targets[name];
      if (!summary) continue;
      const added = name === 'direct' ? undefined : cell.added[name];
      const overFloor = added && name !== 'floor';
      rows.push([
        cellLabel(cell) + (cell.truncated ? ' (capped)' : ''),
        name,
        String(summary.requests) + (summary.errors > 0 ? ` (${summary.errors} err)` : ''),
        summary.requestsPerSecond.toFixed(0),
        ms(summary.total.p50),
        ms(summary.total.p99),
        cell.stream ? ms(summary.firstByte.p50) : '',
        cell.stream ? ms(summary.firstByte.p99) : '',
        added ? signed(added.p50) : '',
        added ? signed(added.p99) : '',
        added && cell.stream ? signed(added.firstByteP50) : '',
        overFloor ? ratio(ratioOf(added.p50, cell.added.floor.p50)) : '',
        overFloor ? ratio(ratioOf(added.p99, cell.added.floor.p99)) : '',
        summary.cpuMsPerRequest !== undefined ? summary.cpuMsPerRequest.toFixed(3) : '',
        name === 'switchyard'
          ? (cell.switchyardPeakRssBytes / 2 ** 20).toFixed(1)
          : name === 'baseline' && cell.baselinePeakRssBytes !== undefined
            ? (cell.baselinePeakRssBytes / 2 ** 20).toFixed(1)
            : '',
      ]);
    }
  }
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => row[column]!.length)),
  );
  const line = (cells: string[]) =>
    `| ${cells.map((text, column) => text.padEnd(widths[column]!)).join(' | ')} |`;
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join('\n');
}

export function formatVerdicts(verdicts: TargetVerdict[]): string {
  return verdicts
    .map((verdict) => {
      const value =
        verdict.value === undefined
          ? 'n/a'
          : verdict.name.includes('RSS')
            ? `${verdict.value.toFixed(1)} MB`
            : verdict.name.includes('/')
              ? `${verdict.value.toFixed(2)}×`
              : `${verdict.value.toFixed(3)} ms`;
      return `${verdict.pass ? 'PASS' : 'FAIL'}  ${verdict.name}: ${value} (target ${verdict.limit})`;
    })
    .join('\n');
}

/**
 * Per cell at concurrency 1: what a second floor (`proxy`: the translating floor, the cost of speaking
 * OpenAI in front of Ollama at all; the stack floor, the cost of the stack issue 2 prescribes; the cloud
 * bench's SDK floor) adds over the pass-through floor, and switchyard against it. Context for the 2×
 * target, not a target.
 */
export function formatTranslationFloor(
  cells: readonly CellResult[],
  translatorLabel = 'the translating floor',
  proxy: 'translator' | 'stack' = 'translator',
): string {
  const lines: string[] = [];
  for (const cell of cells.filter((candidate) => candidate.concurrency === 1)) {
    const translator = cell.added[proxy];
    const translatorCpu = cell.targets[proxy]?.cpuMsPerRequest;
    const floorCpu = cell.targets.floor.cpuMsPerRequest;
    const switchyardCpu = cell.targets.switchyard.cpuMsPerRequest;
    if (!translator || translatorCpu === undefined || floorCpu === undefined || switchyardCpu === undefined)
      continue;
    lines.push(
      `INFO  ${cellLabel(cell)}: ${translatorLabel} adds ${ms(translator.p50)} ms at p50 ` +
        `(${ratio(ratioOf(translator.p50, cell.added.floor.p50))} the pass-through floor's), ` +
        `CPU ${translatorCpu.toFixed(3)} ms/req (${ratio(translatorCpu / floorCpu)}); ` +
        `switchyard adds ${ratio(ratioOf(cell.added.switchyard.p50, translator.p50))} its p50, ` +
        `CPU ${ratio(switchyardCpu / translatorCpu)}`,
    );
  }
  return lines.join('\n');
}
