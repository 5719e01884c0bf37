/**
 * @module bench/routing/run
 * The routing benchmark (issue 4): one seeded workload of coding requests, run through switchyard's
 * full HTTP path against the simulated Ollama and the simulated Anthropic, once per strategy, each in a
 * fresh environment — switchyard `auto`, always local, always cloud, a static prompt-size threshold, an
 * oracle that knows the simulator's true timings, and the same oracle without knowing how long each
 * answer will be (it decides on the 90th percentile of the client's lengths). Halfway through every run, the local model becomes
 * three times slower. Prints a table and PASS/FAIL per target, writes `bench/out/routing.json`.
 *
 * `npx tsx bench/routing/run.ts [--quick] [--requests N] [--speed N] [--seed N] [--threshold T]
 *   [--strategies switchyard,oracle,...] [--parallel N] [--routing '{"deadline_quantile":0.8}']
 *   [--blind-quantile Q]`
 */
import { type ChildProcess, fork } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { BenchContext, BenchOutcome } from '../suite.js';
import { outcomesOf, type StrategySummary, summarise } from './analysis.js';
import { type BenchTiming, cloudModel, localModel } from './environment.js';
import {
  evaluateTargets,
  predictionTable,
  strategyTable,
  targets,
  verdictLines,
  verdictsPassed,
} from './report.js';
import type { RunSettings, StrategyRun } from './run-strategy.js';
import { type StrategyName, strategyNames } from './strategies.js';
import type { StrategyJob, StrategyMessage } from './strategy-process.js';
import { generateWorkload, type WorkloadOptions, type WorkloadRequest } from './workload.js';

interface Settings {
  requests: number;
  speed: number;
  seed: number;
  /** Static-threshold strategy: local below this many tokens (characters / 4). */
  thresholdTokens: number;
  strategies: StrategyName[];
  /**
   * Strategies run at once, each in its own process; undefined: in two phases, switchyard and the oracle
   * together first (their timings are the ones measured to the millisecond), then the other three.
   */
  parallel: number | undefined;
  routing: Record<string, unknown> | undefined;
  timing: BenchTiming;
  /** Mean gap between arrivals and the idle periods, simulated ms. */
  meanGapMs: number;
  idleGapMs: number;
  slowdownFactor: number;
  /** Real ms switchyard and the HTTP hops add to a local answer, for the oracle (measured: ~10 ms). */
  oracleOverheadMs: number;
  /** The answer-length quantile the length-blind oracle decides on (default 0.9). */
  blindQuantile: number | undefined;
}

function settingsFrom(args: string[]): Settings {
  const { values } = parseArgs({
    args,
    strict: false,
    options: {
      quick: { type: 'boolean', default: false },
      requests: { type: 'string' },
      speed: { type: 'string' },
      seed: { type: 'string' },
      threshold: { type: 'string' },
      strategies: { type: 'string' },
      parallel: { type: 'string' },
      routing: { type: 'string' },
      'blind-quantile': { type: 'string' },
    },
  });
  const number = (value: unknown, fallback: number) => {
    const parsed = typeof value === 'string' ? Number(value) : Number.NaN;
    return Number.isFinite(parsed) && parsed > 0 ? parsed : fallback;
  };
  const strategies =
    typeof values.strategies === 'string'
      ? values.strategies.split(',').map((name) => {
          if (!(strategyNames as readonly string[]).includes(name)) {
            throw new Error(`unknown strategy ${name}; known: ${strategyNames.join(', ')}`);
          }
          return name as StrategyName;
        })
      : [...strategyNames];
  const speed = number(values.speed, 10);
  return {
    requests: Math.round(number(values.requests, values.quick === true ? 120 : 240)),
    speed,
    seed: number(values.seed, 42),
    thresholdTokens: number(values.threshold, 5000),
    strategies,
    parallel: typeof values.parallel === 'string' ? Math.round(number(values.parallel, 1)) : undefined,
    routing:
      typeof values.routing === 'string'
        ? (JSON.parse(values.routing) as Record<string, unknown>)
        : undefined,
    timing: {
      speed,
      keepAliveMs: 60_000,
      ttftDeadlineMs: 20_000,
      totalDeadlineMs: 60_000,
      pollIntervalMs: 5_000,
    },
    meanGapMs: 3_000,
    idleGapMs: 90_000,
    slowdownFactor: 3,
    oracleOverheadMs: 10,
    blindQuantile:
      typeof values['blind-quantile'] === 'string'
        ? Math.min(0.99, number(values['blind-quantile'], 0.9))
        : undefined,
  };
}

function describeWorkload(workload: readonly WorkloadRequest[]) {
  const counts: Record<string, number> = {};
  for (const request of workload)
    counts[`${request.client}/${request.size}`] = (counts[`${request.client}/${request.size}`] ?? 0) + 1;
  const characters = workload.map((request) => request.characters).sort((left, right) => left - right);
  return {
    requests: workload.length,
    spanSimulatedSeconds: (workload.at(-1)?.arrivalMs ?? 0) / 1000,
    byClientAndSize: counts,
    characters: {
      min: characters[0],
      median: characters[Math.floor(characters.length / 2)],
      max: characters.at(-1),
    },
  };
}

const running = new Set<ChildProcess>();
let exitHandlersInstalled = false;

function installExitHandlers(): void {
  if (exitHandlersInstalled) return;
  exitHandlersInstalled = true;
  process.on('exit', () => {
    for (const child of running) child.kill('SIGKILL');
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      for (const child of running) child.kill('SIGKILL');
      process.exit(130);
    });
  }
}

/** Runs one strategy in a child process (a fresh process is a fresh environment) and returns its run. */
function runInChild(job: StrategyJob, timeoutMs: number): Promise<StrategyRun> {
  installExitHandlers();
  return new Promise((resolvePromise, reject) => {
    const child = fork(new URL('./strategy-process.ts', import.meta.url), [], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    running.add(child);
    let result: StrategyRun | undefined;
    let failure: string | undefined;
    const timer = setTimeout(() => {
      failure = `${job.name} did not finish within ${Math.round(timeoutMs / 1000)} s`;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('message', (message: StrategyMessage) => {
      if (message.type === 'progress') console.log(`  ${message.line}`);
      else if (message.type === 'result') result = message.run;
      else failure = message.message;
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      running.delete(child);
      if (result) resolvePromise(result);
      else reject(new Error(failure ?? `${job.name} exited with code ${code} and no result`));
    });
    child.send(job);
  });
}

/** Phases of strategies run side by side: those whose timings matter most share the machine with fewer. */
function phasesOf(names: readonly StrategyName[], parallel: number | undefined): StrategyName[][] {
  if (parallel !== undefined) return [names.slice()];
  const precise: StrategyName[] = names.filter((name) => name === 'switchyard' || name === 'oracle');
  const rest = names.filter((name) => !precise.includes(name));
  return [precise, rest].filter((phase) => phase.length > 0);
}

async function runAll(
  names: readonly StrategyName[],
  parallel: number | undefined,
  workload: WorkloadOptions,
  settings: RunSettings,
  timeoutMs: number,
): Promise<StrategyRun[]> {
  const results = new Map<StrategyName, StrategyRun>();
  for (const phase of phasesOf(names, parallel)) {
    await runPhase(phase, parallel ?? phase.length, workload, settings, timeoutMs, results);
  }
  return names.map((name) => results.get(name)!);
}

async function runPhase(
  names: readonly StrategyName[],
  parallel: number,
  workload: WorkloadOptions,
  settings: RunSettings,
  timeoutMs: number,
  results: Map<StrategyName, StrategyRun>,
): Promise<void> {
  const queue = [...names];
  const worker = async () => {
    for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
      console.log(`strategy ${name}: started`);
      const result = await runInChild({ name, workload, settings }, timeoutMs);
      console.log(`strategy ${name}: done in ${result.wallSeconds.toFixed(1)} s`);
      results.set(name, result);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(parallel, names.length)) }, worker));
}

export async function run(context: BenchContext): Promise<BenchOutcome> {
  const settings = settingsFrom(context.args);
  const { timing } = settings;
  const workloadOptions: WorkloadOptions = {
    seed: settings.seed,
    count: settings.requests,
    meanGapMs: settings.meanGapMs,
    idleGapMs: settings.idleGapMs,
    idleAt: [0.3, 0.75],
  };
  const workload = generateWorkload(workloadOptions);
  const slowdownAt = Math.floor(workload.length / 2);
  const runSettings: RunSettings = {
    timing,
    seed: settings.seed,
    slowdownAt,
    slowdownFactor: settings.slowdownFactor,
    overheadMs: settings.oracleOverheadMs,
    strategy: {
      thresholdTokens: settings.thresholdTokens,
      // The length-blind oracle plans on the 90th percentile of answer lengths: at the 75th (switchyard's
      // deadline_quantile) it lost ~6 points of attainment to the oracle in quick runs, at the 90th < 1.
      blindQuantile: settings.blindQuantile ?? 0.9,
      oracle: {
        model: localModel,
        speed: timing.speed,
        seed: settings.seed,
        keepAliveMs: timing.keepAliveMs,
        minContext: 8192,
        contextStep: 8192,
        overheadMs: settings.oracleOverheadMs,
      },
    },
    ...(settings.routing ? { routing: settings.routing } : {}),
  };
  console.log(
    `routing bench: ${workload.length} requests, speed x${timing.speed}, seed ${settings.seed}, slowdown x${settings.slowdownFactor} at request ${slowdownAt}; strategies: ${settings.strategies.join(', ')} (${settings.parallel === undefined ? 'switchyard and oracle first, then the rest' : `${settings.parallel} at a time`})`,
  );
  // Far beyond a run's length (the workload spans ~85 s at speed 10, an overloaded local model ~200 s).
  const spanMs = (workload.at(-1)?.arrivalMs ?? 0) / timing.speed;
  const runs = await runAll(
    settings.strategies,
    settings.parallel,
    workloadOptions,
    runSettings,
    4 * spanMs + 120_000,
  );
  const summaries: StrategySummary[] = runs.map((result) =>
    summarise(result, workload, timing, slowdownAt, settings.slowdownFactor),
  );
  const verdicts = evaluateTargets(summaries);
  // The issue's targets as written; and with the two that no router can meet on this workload (total
  // time, local share against an oracle that knows answer lengths) judged as restated.
  const passed = verdictsPassed(verdicts, 'as written');
  const passedRestated = verdictsPassed(verdicts, 'restated');

  console.log('');
  console.log(strategyTable(summaries));
  const switchyard = summaries.find((summary) => summary.name === 'switchyard');
  if (switchyard?.predictions) {
    console.log('');
    console.log(predictionTable(switchyard.predictions));
    console.log('');
    console.log(`switchyard reasons: ${JSON.stringify(switchyard.reasons)}`);
  }
  console.log('');
  console.log(verdictLines(verdicts));
  console.log(
    `targets as written: ${passed ? 'PASS' : 'FAIL'}; with the restated ones in place of theirs: ${passedRestated ? 'PASS' : 'FAIL'}`,
  );

  mkdirSync(context.outDir, { recursive: true });
  const resultPath = join(context.outDir, 'routing.json');
  writeFileSync(
    resultPath,
    `${JSON.stringify(
      {
        bench: 'routing',
        date: new Date().toISOString(),
        machine: {
          cpus: cpus().length,
          cpuModel: cpus()[0]?.model,
          node: process.version,
          loadAverageAtEnd: loadavg(),
        },
        settings: {
          ...settings,
          localModel: `ollama/${localModel}`,
          cloudModel: `anthropic/${cloudModel}`,
          slowdownAt,
          note: 'times in simulated ms unless named otherwise; real ms = simulated ms / speed',
        },
        workload: describeWorkload(workload),
        targets,
        summaries,
        verdicts,
        passed,
        passedRestated,
        // What switchyard believed about the local model's speed before each request (adaptation).
        switchyardSpeedProbes: runs.find((result) => result.name === 'switchyard')?.speedProbes,
        // switchyard's own profile rows, the raw material of the prediction figures.
        switchyardProfiles: runs
          .find((result) => result.name === 'switchyard')
          ?.rows.map((row) => ({
            request: row.requestId,
            attempt: row.attempt,
            startedAt: row.startedAt,
            model: `${row.provider}/${row.model}`,
            outcome: row.outcome,
            reason: row.decisionReason,
            ttftMs: row.timeToFirstTokenMs,
            durationMs: row.durationMs,
            predictedTtftMs: row.predictedTtftMs,
            predictedTotalMs: row.predictedTotalMs,
            estimatedPromptTokens: row.estimatedPromptTokens,
            estimatedCachedTokens: row.estimatedCachedTokens,
            promptEvalCount: row.promptEvalCount,
            promptEvalMs: row.promptEvalDurationNs == null ? undefined : row.promptEvalDurationNs / 1e6,
            evalCount: row.evalCount,
            evalMs: row.evalDurationNs == null ? undefined : row.evalDurationNs / 1e6,
            loadMs: row.loadDurationNs == null ? undefined : row.loadDurationNs / 1e6,
            coldStart: row.coldStart,
            numCtx: row.numCtx,
            costDollars: row.costDollars,
          })),
        requests: runs.map((result) => ({
          strategy: result.name,
          outcomes: outcomesOf(result, workload, timing).map((outcome, position) => ({
            ...outcome,
            predictedTotalMs: result.records[position]?.result.predictedTotalMs,
            truth: result.records[position]?.truth,
          })),
        })),
      },
      null,
      2,
    )}\n`,
  );
  console.log(`\nwrote ${resultPath}`);
  return { name: 'routing', passed, resultPath };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const outcome = await run({ args: process.argv.slice(2), outDir: resolve('bench/out') });
  process.exit(outcome.passed ? 0 : 1);
}
