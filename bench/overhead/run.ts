/**
 * @module bench/overhead/run
 * The proxy-overhead benchmark (issue 2): how much latency switchyard adds to a local Ollama call,
 * against calling the (simulated) Ollama directly and against a floor, a bare `node:http` pass-through
 * proxy. The simulator, the floor and switchyard each run in their own process; the load generator runs
 * here. Targets are measured in small batches, round-robin, in a rotating order, so that the drift of a
 * shared, noisy machine affects all three equally and ratios within one run stay meaningful.
 *
 * `npx tsx bench/overhead/run.ts [--quick] [--cpu-prof] [--concurrency 1,32] [--requests-c1 N] [--requests-c32 N]`
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { BenchContext, BenchOutcome } from '../suite.js';
import { type Child, firstLine, freePort, spawnChild, stopAll, waitUntilAnswering } from './children.js';
import { destroyAgents, type LoadTarget, runBatch, type Sample } from './load.js';
import {
  addedOver,
  type CellResult,
  cellLabel,
  evaluateTargets,
  formatTable,
  formatVerdicts,
  ratioOf,
  type TargetName,
  targetNames,
} from './report.js';
import { readCpuMs, readMemory, RssSampler } from './process-stats.js';
import { summarise } from './stats.js';

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
}

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
  };
}

const model = 'qwen2.5-coder:7b';
const prompt = (tokens: number) =>
  `Write a function that reverses a linked list in TypeScript, with a short explanation. [sim:tokens=${tokens}]`;

interface Processes {
  simulator: Child;
  floor: Child;
  switchyard: Child;
  simulatorUrl: string;
  floorUrl: string;
  switchyardUrl: string;
}

async function startProcesses(settings: Settings, databaseDir: string, outDir: string): Promise<Processes> {
  const profileDir = join(outDir, 'profiles');
  const logDir = join(outDir, 'logs');
  mkdirSync(logDir, { recursive: true });
  const tsx = ['--import', 'tsx'];
  const simulator = spawnChild({
    name: 'ollama simulator',
    stderrLog: join(logDir, 'overhead-simulator.log'),
    args: [...tsx, 'bench/overhead/simulator-process.ts', '--speed', String(settings.speed), '--parallel', '64'],
    ipc: true,
  });
  const simulatorUrl = await firstLine(simulator);
  const floor = spawnChild({
    name: 'pass-through proxy',
    stderrLog: join(logDir, 'overhead-floor.log'),
    args: [...tsx, 'bench/overhead/passthrough-proxy.ts', '--upstream', simulatorUrl],
    ipc: true,
  });
  const floorUrl = await firstLine(floor);
  const port = await freePort();
  const switchyard = spawnChild({
    name: 'switchyard',
    stderrLog: join(logDir, 'overhead-switchyard.log'),
    args: [
      ...(settings.cpuProf ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : []),
      'bin/switchyard.js',
      '--port',
      String(port),
      '--ollama-host',
      simulatorUrl,
      '--db',
      join(databaseDir, 'switchyard.db'),
    ],
    env: {
      SWITCHYARD_LOG_LEVEL: 'warn',
      // Only the local path is measured: no cloud keys, no config file from the environment.
      ANTHROPIC_API_KEY: undefined,
      GEMINI_API_KEY: undefined,
      GOOGLE_API_KEY: undefined,
      SWITCHYARD_CONFIG: undefined,
      SWITCHYARD_DB: undefined,
      OLLAMA_HOST: undefined,
      PORT: undefined,
      HOST: undefined,
    },
  });
  const switchyardUrl = `http://127.0.0.1:${port}`;
  await waitUntilAnswering(`${switchyardUrl}/health`, switchyard);
  return { simulator, floor, switchyard, simulatorUrl, floorUrl, switchyardUrl };
}

/**
 * The native body switchyard sends upstream for our request, read back from the simulator, so the
 * direct and floor requests are the same bytes' worth of work (same num_ctx and keep_alive: a different
 * num_ctx would make the simulator reload the model between targets).
 */
async function nativeBodyOf(processes: Processes, switchyardBody: object): Promise<Record<string, unknown>> {
  await fetch(`${processes.simulatorUrl}/__sim/requests`, { method: 'DELETE' });
  const response = await fetch(`${processes.switchyardUrl}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ...switchyardBody, stream: false }),
  });
  if (response.status !== 200) {
    throw new Error(`switchyard answered ${response.status}: ${await response.text()}`);
  }
  await response.arrayBuffer();
  const recorded = (await (await fetch(`${processes.simulatorUrl}/__sim/requests`)).json()) as {
    requests: Array<{ method: string; path: string; body: unknown }>;
  };
  const chat = recorded.requests.filter((entry) => entry.method === 'POST' && entry.path === '/api/chat').at(-1);
  if (!chat || typeof chat.body !== 'object' || chat.body === null) {
    throw new Error('the simulator recorded no /api/chat request from switchyard');
  }
  return chat.body as Record<string, unknown>;
}

function targetsFor(
  processes: Processes,
  nativeBody: Record<string, unknown>,
  switchyardBody: object,
  stream: boolean,
): Record<TargetName, LoadTarget> {
  const native = Buffer.from(JSON.stringify({ ...nativeBody, stream }));
  // Ollama's last line (stream) or only object (whole) ends with the engine's timing fields.
  const nativeCompleted = (tail: string) => tail.includes('"eval_duration":');
  return {
    direct: {
      name: 'direct',
      url: new URL('/api/chat', processes.simulatorUrl),
      body: native,
      completed: nativeCompleted,
    },
    floor: { name: 'floor', url: new URL('/api/chat', processes.floorUrl), body: native, completed: nativeCompleted },
    switchyard: {
      name: 'switchyard',
      url: new URL('/v1/chat/completions', processes.switchyardUrl),
      body: Buffer.from(JSON.stringify({ ...switchyardBody, stream })),
      completed: stream ? (tail) => tail.endsWith('data: [DONE]\n\n') : (tail) => tail.includes('"total_tokens":'),
    },
  };
}

interface Accumulator {
  samples: Sample[];
  errors: number;
  firstError?: string;
  busyMs: number;
  cpuMs: number;
}

async function runCell(
  settings: Settings,
  targets: Record<TargetName, LoadTarget>,
  stream: boolean,
  concurrency: number,
  pids: { floor: number; switchyard: number },
): Promise<CellResult> {
  const high = concurrency > 1;
  const perTarget = high ? settings.requestsHigh : settings.requestsLow;
  const batch = high ? settings.batchHigh : settings.batchLow;
  const warmup = high ? settings.warmupHigh : settings.warmupLow;

  for (const name of targetNames) await runBatch(targets[name], warmup, concurrency);

  const accumulators = Object.fromEntries(
    targetNames.map((name) => [name, { samples: [], errors: 0, busyMs: 0, cpuMs: 0 } as Accumulator]),
  ) as Record<TargetName, Accumulator>;
  const pidOf = (name: TargetName) => (name === 'direct' ? undefined : pids[name]);
  const rss = new RssSampler(pids.switchyard);
  rss.start();
  const deadline = performance.now() + settings.cellCapSeconds * 1000;
  const rounds = Math.ceil(perTarget / batch);
  let round = 0;
  for (; round < rounds && performance.now() < deadline; round++) {
    const count = Math.min(batch, perTarget - round * batch);
    // Rotate who goes first, so no target always follows an idle gap or another's burst.
    for (let offset = 0; offset < targetNames.length; offset++) {
      const name = targetNames[(round + offset) % targetNames.length]!;
      const pid = pidOf(name);
      const cpuBefore = pid === undefined ? undefined : readCpuMs(pid);
      const result = await runBatch(targets[name], count, concurrency);
      const cpuAfter = pid === undefined ? undefined : readCpuMs(pid);
      const accumulator = accumulators[name];
      if (cpuBefore !== undefined && cpuAfter !== undefined) accumulator.cpuMs += cpuAfter - cpuBefore;
      for (const sample of result.samples) accumulator.samples.push(sample);
      accumulator.errors += result.errors;
      if (result.firstError !== undefined) accumulator.firstError ??= result.firstError;
      accumulator.busyMs += result.elapsedMs;
    }
  }
  const peakRss = rss.stop();

  const summaries = Object.fromEntries(
    targetNames.map((name) => {
      const { samples, errors, busyMs, firstError, cpuMs } = accumulators[name];
      const summary = summarise(samples, errors, busyMs, firstError);
      // The simulator also serves the proxies' requests, so its CPU is not attributed to "direct".
      if (pidOf(name) !== undefined) summary.cpuMsPerRequest = cpuMs / Math.max(1, samples.length + errors);
      return [name, summary];
    }),
  ) as CellResult['targets'];
  const addedFloor = addedOver(summaries.direct, summaries.floor);
  const addedSwitchyard = addedOver(summaries.direct, summaries.switchyard);
  return {
    stream,
    concurrency,
    rounds: round,
    truncated: round < rounds,
    targets: summaries,
    added: { floor: addedFloor, switchyard: addedSwitchyard },
    ratio: {
      p50: ratioOf(addedSwitchyard.p50, addedFloor.p50),
      p99: ratioOf(addedSwitchyard.p99, addedFloor.p99),
    },
    switchyardPeakRssBytes: peakRss,
  };
}

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
  if (settings.cpuProf) mkdirSync(join(context.outDir, 'profiles'), { recursive: true });
  const host = machine();
  console.log(
    `proxy overhead: ${host.nproc} CPUs (${host.cpuModel}), node ${host.node}, simulator speed ×${settings.speed}, ${settings.tokens} tokens per answer`,
  );

  let processes: Processes | undefined;
  try {
    processes = await startProcesses(settings, databaseDir, context.outDir);
    const switchyardBody = {
      model: `ollama/${model}`,
      messages: [{ role: 'user', content: prompt(settings.tokens) }],
    };
    const nativeBody = await nativeBodyOf(processes, switchyardBody);
    console.log(`native body switchyard sends upstream: ${JSON.stringify({ ...nativeBody, messages: '…' })}`);

    // JIT, connection pools and the simulator's model and prompt cache, before anything is measured.
    for (const stream of [false, true]) {
      const targets = targetsFor(processes, nativeBody, switchyardBody, stream);
      for (const name of targetNames) {
        await runBatch(targets[name], settings.warmupLow * 2, 1);
        await runBatch(targets[name], settings.warmupHigh, settings.highConcurrency);
      }
    }

    const cells: CellResult[] = [];
    for (const concurrency of [...new Set(settings.concurrencies)]) {
      for (const stream of [false, true]) {
        const targets = targetsFor(processes, nativeBody, switchyardBody, stream);
        const cell = await runCell(settings, targets, stream, concurrency, {
          floor: processes.floor.pid,
          switchyard: processes.switchyard.pid,
        });
        cells.push(cell);
        const sy = cell.targets.switchyard;
        console.log(
          `  ${cellLabel(cell).padEnd(12)} switchyard p50 ${sy.total.p50.toFixed(3)} ms, added p50 ${cell.added.switchyard.p50.toFixed(3)} ms / floor ${cell.added.floor.p50.toFixed(3)} ms${cell.truncated ? ' (time cap hit)' : ''}`,
        );
      }
    }

    const hwm = readMemory(processes.switchyard.pid)?.hwmBytes ?? 0;
    const peakUnderLoad = Math.max(...cells.map((cell) => cell.switchyardPeakRssBytes));
    const floorRss = readMemory(processes.floor.pid);
    const verdicts = evaluateTargets(cells, peakUnderLoad);
    const passed = verdicts.every((verdict) => verdict.pass);
    const errors = cells.flatMap((cell) =>
      targetNames
        .filter((name) => cell.targets[name].errors > 0)
        .map((name) => `${cellLabel(cell)} ${name}: ${cell.targets[name].errors} errors, first: ${cell.targets[name].firstError}`),
    );

    console.log('');
    console.log(formatTable(cells));
    console.log('');
    console.log(
      `switchyard RSS: peak under load ${(peakUnderLoad / 2 ** 20).toFixed(1)} MB, VmHWM ${(hwm / 2 ** 20).toFixed(1)} MB; floor proxy VmHWM ${((floorRss?.hwmBytes ?? 0) / 2 ** 20).toFixed(1)} MB`,
    );
    console.log(formatVerdicts(verdicts));
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
