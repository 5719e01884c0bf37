/**
 * @module bench/cloud-overhead/run
 * The cloud path's added latency (issue 3): switchyard in front of the simulated Anthropic and Gemini
 * APIs, against calling the simulator directly with the very request switchyard sends upstream, and
 * against the floor (the overhead bench's bare pass-through proxy in front of the same simulator), and
 * against the SDK floor (`sdk-proxy.ts`, target `translator`: the official SDK with a minimal OpenAI
 * translation and nothing else, the least any proxy built on the SDKs the issue names can cost). Reuses
 * the overhead bench's processes, load generator, round-robin cells and report; only the targets differ.
 *
 * switchyard always streams upstream, so "direct" is the streamed upstream call read to its end, for both
 * the `stream: false` and `stream: true` cells.
 *
 * `npx tsx bench/cloud-overhead/run.ts [--concurrency 1,32] [--requests-c1 N] [--requests-c32 N]
 * [--speed N] [--tokens N] [--provider anthropic,gemini] [--cpu-prof]` (or `npm run bench -- cloud-overhead`).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { runCells } from '../overhead/cell.js';
import { firstLine, freePort, spawnChild, stopAll } from '../overhead/children.js';
import { destroyAgents, type LoadTarget } from '../overhead/load.js';
import { readMemory } from '../overhead/process-stats.js';
import { type Proxy as ProxyProcess, startSwitchyard } from '../overhead/processes.js';
import {
  type CellResult,
  cellLabel,
  evaluateTargets,
  formatTable,
  formatTranslationFloor,
  formatVerdicts,
  type TargetName,
  type TargetVerdict,
  targetOrder,
} from '../overhead/report.js';
import type { BenchContext, BenchOutcome } from '../suite.js';

type Provider = 'anthropic' | 'gemini';

interface Settings {
  speed: number;
  tokens: number;
  requestsLow: number;
  requestsHigh: number;
  highConcurrency: number;
  batchLow: number;
  batchHigh: number;
  warmupLow: number;
  warmupHigh: number;
  cellCapSeconds: number;
  concurrencies: number[];
  providers: Provider[];
  /** Run switchyard under `node --cpu-prof`, profiles written to bench/out/profiles. */
  cpuProf: boolean;
}

function settingsFrom(args: string[]): Settings {
  const { values } = parseArgs({
    args,
    strict: false,
    options: {
      quick: { type: 'boolean', default: false },
      'requests-c1': { type: 'string' },
      'requests-c32': { type: 'string' },
      speed: { type: 'string' },
      tokens: { type: 'string' },
      'cell-cap-s': { type: 'string' },
      concurrency: { type: 'string' },
      provider: { type: 'string' },
      'cpu-prof': { type: 'boolean', default: false },
    },
  });
  const number = (value: unknown, fallback: number) => {
    const parsed = typeof value === 'string' ? Number(value) : Number.NaN;
    return Number.isFinite(parsed) && parsed > 0 ? parsed : fallback;
  };
  // Quick by default (the whole bench in under 2 minutes); `--quick` is accepted for symmetry.
  const requestsLow = number(values['requests-c1'], 500);
  const requestsHigh = number(values['requests-c32'], 500);
  const highConcurrency = 32;
  const providers = (typeof values.provider === 'string' ? values.provider : 'anthropic,gemini')
    .split(',')
    .filter((name): name is Provider => name === 'anthropic' || name === 'gemini');
  return {
    speed: number(values.speed, 10_000),
    tokens: number(values.tokens, 8),
    requestsLow,
    requestsHigh,
    highConcurrency,
    batchLow: Math.min(100, requestsLow),
    batchHigh: Math.min(250, requestsHigh),
    warmupLow: 100,
    warmupHigh: 200,
    cellCapSeconds: number(values['cell-cap-s'], 30),
    concurrencies:
      typeof values.concurrency === 'string'
        ? values.concurrency.split(',').map((value) => (Number(value) > 1 ? highConcurrency : 1))
        : [1, highConcurrency],
    providers: providers.length > 0 ? providers : ['anthropic', 'gemini'],
    cpuProf: values['cpu-prof'] === true,
  };
}

const models: Record<Provider, string> = {
  anthropic: 'anthropic/claude-haiku-4-5',
  gemini: 'gemini/gemini-2.5-flash',
};
const apiKeys: Record<Provider, string> = { anthropic: 'sim-anthropic-key', gemini: 'sim-gemini-key' };
const prompt = (tokens: number) =>
  `Write a function that reverses a linked list in TypeScript, with a short explanation. [sim:tokens=${tokens}]`;

interface Upstream {
  simulator: ProxyProcess;
  floor: ProxyProcess;
  /** The SDK floor (`sdk-proxy.ts`): the official SDK and a minimal translation, nothing else. */
  sdkFloor: ProxyProcess;
}

async function startUpstream(provider: Provider, settings: Settings, logDir: string): Promise<Upstream> {
  const simulatorChild = spawnChild({
    name: `${provider} simulator`,
    stderrLog: join(logDir, `cloud-overhead-${provider}.log`),
    args: [
      '--import',
      'tsx',
      'bench/cloud-overhead/simulator-process.ts',
      '--provider',
      provider,
      '--speed',
      String(settings.speed),
      '--key',
      apiKeys[provider],
    ],
    ipc: true,
  });
  const simulator = { child: simulatorChild, url: await firstLine(simulatorChild) };
  const floorChild = spawnChild({
    name: `${provider} pass-through proxy`,
    stderrLog: join(logDir, `cloud-overhead-${provider}-floor.log`),
    args: ['--import', 'tsx', 'bench/overhead/passthrough-proxy.ts', '--upstream', simulator.url],
    ipc: true,
  });
  const sdkChild = spawnChild({
    name: `${provider} SDK floor`,
    stderrLog: join(logDir, `cloud-overhead-${provider}-sdk-floor.log`),
    args: [
      '--import',
      'tsx',
      'bench/cloud-overhead/sdk-proxy.ts',
      '--provider',
      provider,
      '--upstream',
      simulator.url,
      '--key',
      apiKeys[provider],
    ],
    ipc: true,
  });
  return {
    simulator,
    floor: { child: floorChild, url: await firstLine(floorChild) },
    sdkFloor: { child: sdkChild, url: await firstLine(sdkChild) },
  };
}

/** The exact upstream request switchyard sent, as the simulator recorded it, with the key put back. */
interface UpstreamRequest {
  path: string;
  headers: Record<string, string>;
  body: Record<string, unknown>;
}

/** Headers that belong to one connection or one body; the load generator sets its own. */
const connectionHeaders = new Set([
  'host',
  'content-length',
  'connection',
  'keep-alive',
  'transfer-encoding',
]);

async function upstreamRequestOf(
  provider: Provider,
  upstream: Upstream,
  switchyard: ProxyProcess,
  switchyardBody: object,
): Promise<UpstreamRequest> {
  await fetch(`${upstream.simulator.url}/__sim/requests`, { method: 'DELETE' });
  const response = await fetch(`${switchyard.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ...switchyardBody, stream: false }),
  });
  if (response.status !== 200) {
    throw new Error(`switchyard answered ${response.status} for ${provider}: ${await response.text()}`);
  }
  await response.arrayBuffer();
  const recorded = (await (await fetch(`${upstream.simulator.url}/__sim/requests`)).json()) as {
    requests: Array<{ method: string; path: string; headers: Record<string, string>; body: unknown }>;
  };
  const sent = recorded.requests.filter((entry) => entry.method === 'POST').at(-1);
  if (!sent || typeof sent.body !== 'object' || sent.body === null) {
    throw new Error(`the ${provider} simulator recorded no POST from switchyard`);
  }
  const key = apiKeys[provider];
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(sent.headers)) {
    if (connectionHeaders.has(name)) continue;
    headers[name] = value !== 'REDACTED' ? value : name === 'authorization' ? `Bearer ${key}` : key;
  }
  return {
    path: sent.path.replace(/([?&]key=)REDACTED/, `$1${key}`),
    headers,
    body: sent.body as Record<string, unknown>,
  };
}

/** Ends of a complete upstream stream: Anthropic's `message_stop` event, Gemini's usage counts. */
const upstreamCompleted: Record<Provider, (tail: string) => boolean> = {
  anthropic: (tail) => tail.includes('message_stop') && tail.endsWith('\n\n'),
  // Gemini's SSE events end with CRLF CRLF; the last chunk carries the usage counts.
  gemini: (tail) => /\r?\n\r?\n$/.test(tail) && tail.includes('TokenCount'),
};

function targetsFor(
  provider: Provider,
  upstream: Upstream,
  switchyard: ProxyProcess,
  sent: UpstreamRequest,
  switchyardBody: object,
  stream: boolean,
): Partial<Record<TargetName, LoadTarget>> {
  const native = Buffer.from(JSON.stringify(sent.body));
  const openai = Buffer.from(JSON.stringify({ ...switchyardBody, stream }));
  const openAiTarget = (name: string, base: string): LoadTarget => ({
    name,
    url: new URL('/v1/chat/completions', base),
    body: openai,
    completed: stream
      ? (tail) => tail.endsWith('data: [DONE]\n\n')
      : (tail) => tail.includes('"total_tokens":'),
  });
  const direct = (name: 'direct' | 'floor', base: string): LoadTarget => ({
    name: `${provider} ${name}`,
    url: new URL(sent.path, base),
    body: native,
    headers: sent.headers,
    completed: upstreamCompleted[provider],
  });
  return {
    direct: direct('direct', upstream.simulator.url),
    floor: direct('floor', upstream.floor.url),
    translator: openAiTarget(`${provider} SDK floor`, upstream.sdkFloor.url),
    switchyard: openAiTarget(`${provider} switchyard`, switchyard.url),
  };
}

export async function run(context: BenchContext): Promise<BenchOutcome> {
  const settings = settingsFrom(context.args);
  const startedAt = new Date();
  const databaseDir = mkdtempSync(join(tmpdir(), 'switchyard-cloud-bench-'));
  const logDir = join(context.outDir, 'logs');
  mkdirSync(logDir, { recursive: true });
  const processors = cpus();
  const host = {
    nproc: processors.length,
    cpuModel: processors[0]?.model ?? 'unknown',
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    loadAverageAtStart: loadavg(),
  };
  console.log(
    `cloud overhead: ${host.nproc} CPUs (${host.cpuModel}), node ${host.node}, simulator speed ×${settings.speed}, ${settings.tokens} tokens per answer`,
  );

  try {
    const upstreams = {} as Record<Provider, Upstream>;
    for (const provider of settings.providers)
      upstreams[provider] = await startUpstream(provider, settings, logDir);
    const cpuProfDir = settings.cpuProf ? join(context.outDir, 'profiles') : undefined;
    if (cpuProfDir) mkdirSync(cpuProfDir, { recursive: true });
    const switchyard = await startSwitchyard({
      ...(cpuProfDir ? { cpuProfDir } : {}),
      name: 'cloud-switchyard',
      checkout: process.cwd(),
      // Nothing listens there: only the cloud path is measured.
      simulatorUrl: `http://127.0.0.1:${await freePort()}`,
      database: join(databaseDir, 'switchyard.db'),
      logDir,
      env: {
        ...(upstreams.anthropic
          ? { ANTHROPIC_API_KEY: apiKeys.anthropic, ANTHROPIC_BASE_URL: upstreams.anthropic.simulator.url }
          : {}),
        ...(upstreams.gemini
          ? { GEMINI_API_KEY: apiKeys.gemini, GEMINI_BASE_URL: upstreams.gemini.simulator.url }
          : {}),
        GOOGLE_GEMINI_BASE_URL: undefined,
        ANTHROPIC_AUTH_TOKEN: undefined,
      },
    });

    const results: Array<{
      provider: Provider;
      model: string;
      upstreamRequest: UpstreamRequest;
      cells: CellResult[];
    }> = [];
    for (const provider of settings.providers) {
      const upstream = upstreams[provider];
      const switchyardBody = {
        model: models[provider],
        messages: [{ role: 'user', content: prompt(settings.tokens) }],
      };
      const sent = await upstreamRequestOf(provider, upstream, switchyard, switchyardBody);
      console.log(
        `${provider}: switchyard sends POST ${sent.path} ${JSON.stringify(sent.body, (name, value) => (name === 'messages' || name === 'contents' ? '…' : value))}`,
      );
      console.log(`${provider}: headers ${Object.keys(sent.headers).join(', ')}`);

      const cells = await runCells(
        settings,
        (stream) => targetsFor(provider, upstream, switchyard, sent, switchyardBody, stream),
        {
          floor: upstream.floor.child.pid,
          translator: upstream.sdkFloor.child.pid,
          switchyard: switchyard.child.pid,
        },
        (cell) =>
          console.log(
            `  ${provider} ${cellLabel(cell).padEnd(12)} direct p50 ${cell.targets.direct.total.p50.toFixed(3)} ms, switchyard added p50 ${cell.added.switchyard.p50.toFixed(3)} ms / floor ${cell.added.floor.p50.toFixed(3)} ms${cell.truncated ? ' (time cap hit)' : ''}`,
          ),
      );
      results.push({ provider, model: models[provider], upstreamRequest: sent, cells });
    }

    const allCells = results.flatMap((result) => result.cells);
    const peakUnderLoad = Math.max(...allCells.map((cell) => cell.switchyardPeakRssBytes));
    const hwm = readMemory(switchyard.child.pid)?.hwmBytes ?? 0;
    const verdicts: TargetVerdict[] = [];
    for (const result of results) {
      for (const verdict of evaluateTargets(result.cells, peakUnderLoad)) {
        if (!verdict.name.includes('RSS'))
          verdicts.push({ ...verdict, name: `${result.provider} ${verdict.name}` });
      }
    }
    verdicts.push(...evaluateTargets([], peakUnderLoad));
    const errors = results.flatMap((result) =>
      result.cells.flatMap((cell) =>
        targetOrder.flatMap((name) => {
          const summary = cell.targets[name];
          return summary && summary.errors > 0
            ? [
                `${result.provider} ${cellLabel(cell)} ${name}: ${summary.errors} errors, first: ${summary.firstError}`,
              ]
            : [];
        }),
      ),
    );
    const passed = verdicts.every((verdict) => verdict.pass) && errors.length === 0;

    for (const result of results) {
      console.log('');
      console.log(
        `${result.provider} (${result.model}); direct = POST ${result.upstreamRequest.path}, streamed`,
      );
      console.log(formatTable(result.cells));
      console.log(formatTranslationFloor(result.cells, `the ${result.provider} SDK floor`));
    }
    console.log('');
    console.log(
      `switchyard RSS: peak under load ${(peakUnderLoad / 2 ** 20).toFixed(1)} MB, VmHWM ${(hwm / 2 ** 20).toFixed(1)} MB`,
    );
    console.log(formatVerdicts(verdicts));
    for (const error of errors) console.log(`ERRORS  ${error}`);

    const resultPath = join(context.outDir, 'cloud-overhead.json');
    writeFileSync(
      resultPath,
      `${JSON.stringify(
        {
          bench: 'cloud-overhead',
          startedAt: startedAt.toISOString(),
          durationSeconds: (Date.now() - startedAt.getTime()) / 1000,
          machine: { ...host, loadAverageAtEnd: loadavg() },
          settings,
          providers: results.map((result) => ({
            ...result,
            upstreamRequest: {
              ...result.upstreamRequest,
              headers: Object.fromEntries(
                Object.entries(result.upstreamRequest.headers).map(([name, value]) => [
                  name,
                  /key|authorization/.test(name) ? 'REDACTED' : value,
                ]),
              ),
            },
          })),
          rss: { switchyardPeakUnderLoadBytes: peakUnderLoad, switchyardHwmBytes: hwm },
          targets: verdicts,
          errors,
          passed,
        },
        null,
        2,
      )}\n`,
    );
    return { name: 'cloud-overhead', passed, resultPath };
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
