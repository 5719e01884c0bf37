/**
 * @module bench/overhead/run
 * The proxy-overhead benchmark (issue 2): how much latency switchyard adds to a local Ollama call,
 * against calling the (simulated) Ollama directly and against two floors: a bare `node:http` pass-through
 * proxy (the floor), and a minimal translating proxy (`translating-proxy.ts`: the least an
 * OpenAI-compatible proxy in front of Ollama does). The simulator, the floors and switchyard each run in
 * their own process; the load generator runs here. Targets are measured in small batches, round-robin, in
 * a rotating order, so that the drift of a shared, noisy machine affects all alike and ratios within one
 * run stay meaningful.
 *
 * `npx tsx bench/overhead/run.ts [--quick] [--cpu-prof] [--concurrency 1,32] [--requests-c1 N]
 * [--requests-c32 N] [--baseline <checkout>] [--node-args=<flags>] [--baseline-node-args=<flags>]`.
 * `--baseline` runs a second switchyard from another copy of the repository as a fourth target, to
 * measure a change against the code before it within one run; `--node-args` and `--baseline-node-args`
 * pass extra arguments to their `node` (V8 heap flags, for instance; `=` because they start with `--`).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { BenchContext, BenchOutcome } from '../suite.js';
import { runCells } from './cell.js';
import { stopAll } from './children.js';
import { destroyAgents } from './load.js';
import { readMemory } from './process-stats.js';
import { nativeBodyOf, type Processes, startProcesses, targetsFor } from './processes.js';
import {
  cellLabel,
  evaluateTargets,
  formatTable,
  formatTranslationFloor,
  formatVerdicts,
  targetOrder,
} from './report.js';

interface Settings {
  /** Simulator speed factor: divides every simulated delay. */
  speed: number;
  /** Output tokens per answer (`[sim:tokens=N]`). */
  tokens: number;
  /** Measured requests per target at concurrency 1, and at the higher concurrency. */
  requestsLow: number;
  requestsHigh: number;
  highConcurrency: number;
  /** Requests per target per round (the round-robin batch). */
  batchLow: number;
  batchHigh: number;
  /** Unmeasured requests per target before each cell. */
  warmupLow: number;
  warmupHigh: number;
  /** A cell stops after this many seconds even if rounds remain. */
  cellCapSeconds: number;
  /** Run switchyard under `node --cpu-prof`, profiles written to bench/out/profiles. */
  cpuProf: boolean;
  /** Which concurrencies to measure (`--concurrency 1` for a quicker look at latency only). */
  concurrencies: number[];
  /** Another checkout to run as a second switchyard (`baseline`), to measure a change within one run. */
  baselineDir?: string;
  /** Extra `node` arguments for switchyard and for the baseline (`--node-args`, `--baseline-node-args`). */
  nodeArgs?: string[];
  baselineNodeArgs?: string[];
}

const words = (text: string) => text.split(/\s+/).filter((word) => word !== '');

function settingsFrom(args: string[]): Settings {
  const { values } = parseArgs({
    args,
    strict: false,
    options: {
      quick: { type: 'boolean', default: false },
      'cpu-prof': { type: 'boolean', default: false },
      'requests-c1': { type: 'string' },
      'requests-c32': { type: 'string' },
      speed: { type: 'string' },
      tokens: { type: 'string' },
      'cell-cap-s': { type: 'string' },
      concurrency: { type: 'string' },
      baseline: { type: 'string' },
      'node-args': { type: 'string' },
      'baseline-node-args': { type: 'string' },
    },
  });
  const quick = values.quick === true;
  const number = (value: unknown, fallback: number) => {
    const parsed = typeof value === 'string' ? Number(value) : Number.NaN;
    return Number.isFinite(parsed) && parsed > 0 ? parsed : fallback;
  };
  const requestsLow = number(values['requests-c1'], quick ? 300 : 2000);
  const requestsHigh = number(values['requests-c32'], quick ? 800 : 4000);
  const highConcurrency = 32;
  return {
    speed: number(values.speed, 1000),
    tokens: number(values.tokens, 8),
    requestsLow,
    requestsHigh,
    highConcurrency,
    batchLow: Math.min(100, requestsLow),
    batchHigh: Math.min(400, requestsHigh),
    warmupLow: quick ? 100 : 300,
    warmupHigh: quick ? 200 : 800,
    cellCapSeconds: number(values['cell-cap-s'], 75),
    cpuProf: values['cpu-prof'] === true,
    concurrencies:
      typeof values.concurrency === 'string'
        ? values.concurrency.split(',').map((value) => (Number(value) > 1 ? highConcurrency : 1))
        : [1, highConcurrency],
    ...(typeof values.baseline === 'string' ? { baselineDir: values.baseline } : {}),
    ...(typeof values['node-args'] === 'string' ? { nodeArgs: words(values['node-args']) } : {}),
    ...(typeof values['baseline-node-args'] === 'string'
      ? { baselineNodeArgs: words(values['baseline-node-args']) }
      : {}),
  };
}

const model = 'qwen2.5-coder:7b';
const prompt = (tokens: number) =>
  `Write a function that reverses a linked list in TypeScript, with a short explanation. [sim:tokens=${tokens}]`;

function machine() {
  const processors = cpus();
  return {
    nproc: processors.length,
    cpuModel: processors[0]?.model ?? 'unknown',
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    loadAverageAtStart: loadavg(),
  };
}

export async function run(context: BenchContext): Promise<BenchOutcome> {
  const settings = settingsFrom(context.args);
  const startedAt = new Date();
  const databaseDir = mkdtempSync(join(tmpdir(), 'switchyard-bench-'));
  mkdirSync(context.outDir, { recursive: true });
  const host = machine();
  console.log(
    `proxy overhead: ${host.nproc} CPUs (${host.cpuModel}), node ${host.node}, simulator speed ×${settings.speed}, ${settings.tokens} tokens per answer`,
  );

  let processes: Processes | undefined;
  try {
    processes = await startProcesses(settings, databaseDir, context.outDir);
    if (processes.baseline) console.log(`baseline: switchyard from ${settings.baselineDir}`);
    const switchyardBody = {
      model: `ollama/${model}`,
      messages: [{ role: 'user', content: prompt(settings.tokens) }],
    };
    const nativeBody = await nativeBodyOf(processes, switchyardBody);
    console.log(`native body switchyard sends upstream: ${JSON.stringify({ ...nativeBody, messages: '…' })}`);

    const running = processes;
    const cells = await runCells(
      settings,
      (stream) => targetsFor(running, nativeBody, switchyardBody, stream),
      {
        floor: running.floor.child.pid,
        translator: running.translator.child.pid,
        stack: running.stack.child.pid,
        switchyard: running.switchyard.child.pid,
        ...(running.baseline ? { baseline: running.baseline.child.pid } : {}),
      },
      (cell) => {
        const sy = cell.targets.switchyard;
        console.log(
          `  ${cellLabel(cell).padEnd(12)} switchyard p50 ${sy.total.p50.toFixed(3)} ms, added p50 ${cell.added.switchyard.p50.toFixed(3)} ms / floor ${cell.added.floor.p50.toFixed(3)} ms${cell.truncated ? ' (time cap hit)' : ''}`,
        );
      },
    );

    const hwm = readMemory(processes.switchyard.child.pid)?.hwmBytes ?? 0;
    const peakUnderLoad = Math.max(...cells.map((cell) => cell.switchyardPeakRssBytes));
    const floorRss = readMemory(processes.floor.child.pid);
    const verdicts = evaluateTargets(cells, peakUnderLoad);
    const passed = verdicts.every((verdict) => verdict.pass);
    const errors = cells.flatMap((cell) =>
      targetOrder.flatMap((name) => {
        const summary = cell.targets[name];
        return summary && summary.errors > 0
          ? [`${cellLabel(cell)} ${name}: ${summary.errors} errors, first: ${summary.firstError}`]
          : [];
      }),
    );

    console.log('');
    console.log(formatTable(cells));
    console.log('');
    console.log(
      `switchyard RSS: peak under load ${(peakUnderLoad / 2 ** 20).toFixed(1)} MB, VmHWM ${(hwm / 2 ** 20).toFixed(1)} MB; floor proxy VmHWM ${((floorRss?.hwmBytes ?? 0) / 2 ** 20).toFixed(1)} MB`,
    );
    console.log(formatVerdicts(verdicts));
    console.log(formatTranslationFloor(cells));
    console.log(
      formatTranslationFloor(cells, 'the stack floor (Hono, the official client, always streamed)', 'stack'),
    );
    for (const error of errors) console.log(`ERRORS  ${error}`);

    const resultPath = join(context.outDir, 'overhead.json');
    writeFileSync(
      resultPath,
      `${JSON.stringify(
        {
          bench: 'overhead',
          startedAt: startedAt.toISOString(),
          durationSeconds: (Date.now() - startedAt.getTime()) / 1000,
          machine: { ...host, loadAverageAtEnd: loadavg() },
          settings,
          model: `ollama/${model}`,
          nativeBody: { ...nativeBody, messages: switchyardBody.messages },
          cells,
          rss: {
            switchyardPeakUnderLoadBytes: peakUnderLoad,
            switchyardHwmBytes: hwm,
            floorHwmBytes: floorRss?.hwmBytes,
          },
          targets: verdicts,
          errors,
          passed,
        },
        null,
        2,
      )}\n`,
    );
    return { name: 'overhead', passed: passed && errors.length === 0, resultPath };
  } finally {
    destroyAgents();
    await stopAll();
    rmSync(databaseDir, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const outcome = await run({ args: process.argv.slice(2), outDir: resolve('bench/out') });
  process.exit(outcome.passed ? 0 : 1);
}
