/**
 * @module bench/overhead/processes
 * The processes the overhead benchmark measures, each in its own child: the simulated Ollama, the
 * pass-through, translating and stack floors, switchyard (`node bin/switchyard.js` with the `node` flags of `npm start`, i.e.
 * the bundle in `dist/`), and optionally a second switchyard from another checkout (`--baseline <dir>`),
 * to compare a change against the code before it within one run. Also the request each target gets.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type Child, firstLine, freePort, spawnChild, waitUntilAnswering } from './children.js';
import type { LoadTarget } from './load.js';
import type { TargetName } from './report.js';

export interface ProcessSettings {
  speed: number;
  cpuProf: boolean;
  /** A checkout whose `bin/switchyard.js` runs as the `baseline` target. */
  baselineDir?: string;
  /** Extra `node` arguments for the switchyard and the baseline process (e.g. V8 heap flags to compare). */
  nodeArgs?: string[];
  baselineNodeArgs?: string[];
}

export interface Proxy {
  child: Child;
  url: string;
}

export interface Processes {
  simulator: Proxy;
  floor: Proxy;
  translator: Proxy;
  stack: Proxy;
  switchyard: Proxy;
  baseline?: Proxy;
}

const tsx = ['--import', 'tsx'];

/** Environment for switchyard: only the local path is measured, with nothing inherited that changes it. */
const switchyardEnvironment = {
  SWITCHYARD_LOG_LEVEL: 'warn',
  ANTHROPIC_API_KEY: undefined,
  GEMINI_API_KEY: undefined,
  GOOGLE_API_KEY: undefined,
  SWITCHYARD_CONFIG: undefined,
  SWITCHYARD_DB: undefined,
  OLLAMA_HOST: undefined,
  PORT: undefined,
  HOST: undefined,
};

/**
 * The `node` flags of the checkout's `npm start` script (`node --max-semi-space-size=4 bin/switchyard.js`
 * → `['--max-semi-space-size=4']`), so that switchyard is measured as `npm start` runs it. None when the
 * script does not run `node … bin/switchyard.js` (an older checkout's `tsx src/server.ts`).
 */
export function startScriptNodeFlags(checkout: string): string[] {
  try {
    const manifest = JSON.parse(readFileSync(join(checkout, 'package.json'), 'utf8')) as {
      scripts?: Record<string, string>;
    };
    const words = (manifest.scripts?.start ?? '').trim().split(/\s+/);
    const script = words.indexOf('bin/switchyard.js');
    return words[0] === 'node' && script > 0 ? words.slice(1, script) : [];
  } catch {
    return [];
  }
}

/**
 * Starts `bin/switchyard.js` from `checkout` with Ollama at `simulatorUrl`, with the `node` flags of the
 * checkout's `npm start` and then `nodeArgs`; `env` adds to (or overrides) the clean environment (the
 * cloud-overhead bench sets the cloud keys and base URLs there). The bin builds the checkout's bundle
 * first if it is missing or stale.
 */
export async function startSwitchyard(options: {
  name: string;
  checkout: string;
  simulatorUrl: string;
  database: string;
  logDir: string;
  cpuProfDir?: string;
  /** Arguments for `node` before the script (V8 flags). */
  nodeArgs?: string[];
  env?: Record<string, string | undefined>;
}): Promise<Proxy> {
  const port = await freePort();
  const child = spawnChild({
    name: options.name,
    stderrLog: join(options.logDir, `overhead-${options.name}.log`),
    args: [
      ...startScriptNodeFlags(options.checkout),
      ...(options.nodeArgs ?? []),
      ...(options.cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', options.cpuProfDir] : []),
      join(options.checkout, 'bin/switchyard.js'),
      '--port',
      String(port),
      '--ollama-host',
      options.simulatorUrl,
      '--db',
      options.database,
    ],
    env: { ...switchyardEnvironment, ...options.env },
  });
  const url = `http://127.0.0.1:${port}`;
  await waitUntilAnswering(`${url}/health`, child);
  return { child, url };
}

export async function startProcesses(
  settings: ProcessSettings,
  databaseDir: string,
  outDir: string,
): Promise<Processes> {
  const logDir = join(outDir, 'logs');
  mkdirSync(logDir, { recursive: true });
  const simulatorChild = spawnChild({
    name: 'ollama simulator',
    stderrLog: join(logDir, 'overhead-simulator.log'),
    args: [
      ...tsx,
      'bench/overhead/simulator-process.ts',
      '--speed',
      String(settings.speed),
      '--parallel',
      '64',
    ],
    ipc: true,
  });
  const simulator = { child: simulatorChild, url: await firstLine(simulatorChild) };
  /** A reference proxy in front of the simulator: `bench/overhead/<script>.ts`, logging to `overhead-<log>.log`. */
  const referenceProxy = async (name: string, script: string, log: string) => {
    const child = spawnChild({
      name,
      stderrLog: join(logDir, `overhead-${log}.log`),
      args: [...tsx, `bench/overhead/${script}.ts`, '--upstream', simulator.url],
      ipc: true,
    });
    return { child, url: await firstLine(child) };
  };
  const floor = await referenceProxy('pass-through proxy', 'passthrough-proxy', 'floor');
  const translator = await referenceProxy('translating proxy', 'translating-proxy', 'translator');
  const stack = await referenceProxy('stack proxy', 'stack-proxy', 'stack');
  const cpuProfDir = settings.cpuProf ? join(outDir, 'profiles') : undefined;
  if (cpuProfDir) mkdirSync(cpuProfDir, { recursive: true });
  const switchyard = await startSwitchyard({
    name: 'switchyard',
    checkout: process.cwd(),
    simulatorUrl: simulator.url,
    database: join(databaseDir, 'switchyard.db'),
    logDir,
    ...(cpuProfDir ? { cpuProfDir } : {}),
    ...(settings.nodeArgs ? { nodeArgs: settings.nodeArgs } : {}),
  });
  const baseline = settings.baselineDir
    ? await startSwitchyard({
        name: 'baseline',
        checkout: resolve(settings.baselineDir),
        simulatorUrl: simulator.url,
        database: join(databaseDir, 'baseline.db'),
        logDir,
        ...(settings.baselineNodeArgs ? { nodeArgs: settings.baselineNodeArgs } : {}),
      })
    : undefined;
  return { simulator, floor, translator, stack, switchyard, ...(baseline ? { baseline } : {}) };
}

/**
 * The native body switchyard sends upstream for our request, read back from the simulator, so that the
 * direct and floor requests ask for the same work (same num_ctx and keep_alive: a different num_ctx
 * would make the simulator reload the model between targets).
 */
export async function nativeBodyOf(
  processes: Processes,
  switchyardBody: object,
): Promise<Record<string, unknown>> {
  await fetch(`${processes.simulator.url}/__sim/requests`, { method: 'DELETE' });
  const response = await fetch(`${processes.switchyard.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ...switchyardBody, stream: false }),
  });
  if (response.status !== 200) {
    throw new Error(`switchyard answered ${response.status}: ${await response.text()}`);
  }
  await response.arrayBuffer();
  const recorded = (await (await fetch(`${processes.simulator.url}/__sim/requests`)).json()) as {
    requests: Array<{ method: string; path: string; body: unknown }>;
  };
  const chat = recorded.requests
    .filter((entry) => entry.method === 'POST' && entry.path === '/api/chat')
    .at(-1);
  if (!chat || typeof chat.body !== 'object' || chat.body === null) {
    throw new Error('the simulator recorded no /api/chat request from switchyard');
  }
  return chat.body as Record<string, unknown>;
}

/**
 * The request each target gets for one cell: Ollama-native for direct and the pass-through floor, OpenAI
 * for switchyard and the translating and stack floors (which also get the native body's `keep_alive` and
 * `options`, to ask Ollama for the same work).
 */
export function targetsFor(
  processes: Processes,
  nativeBody: Record<string, unknown>,
  switchyardBody: object,
  stream: boolean,
): Partial<Record<TargetName, LoadTarget>> {
  const native = Buffer.from(JSON.stringify({ ...nativeBody, stream }));
  // Ollama's last line (stream) or only object (whole) ends with the engine's timing fields.
  const nativeCompleted = (tail: string) => tail.includes('"eval_duration":');
  const openai = Buffer.from(JSON.stringify({ ...switchyardBody, stream }));
  const openaiCompleted = stream
    ? (tail: string) => tail.endsWith('data: [DONE]\n\n')
    : (tail: string) => tail.includes('"total_tokens":');
  // The OpenAI floors also get the native body's `keep_alive` and `options`, to ask Ollama for the same work.
  const floorBody = Buffer.from(
    JSON.stringify({
      ...switchyardBody,
      stream,
      keep_alive: nativeBody.keep_alive,
      options: nativeBody.options,
    }),
  );
  const floorTarget = (name: 'translator' | 'stack', proxy: Proxy): LoadTarget => ({
    name,
    url: new URL('/v1/chat/completions', proxy.url),
    body: floorBody,
    completed: openaiCompleted,
  });
  const switchyardTarget = (name: 'switchyard' | 'baseline', proxy: Proxy): LoadTarget => ({
    name,
    url: new URL('/v1/chat/completions', proxy.url),
    body: openai,
    completed: openaiCompleted,
  });
  return {
    direct: {
      name: 'direct',
      url: new URL('/api/chat', processes.simulator.url),
      body: native,
      completed: nativeCompleted,
    },
    floor: {
      name: 'floor',
      url: new URL('/api/chat', processes.floor.url),
      body: native,
      completed: nativeCompleted,
    },
    translator: floorTarget('translator', processes.translator),
    stack: floorTarget('stack', processes.stack),
    switchyard: switchyardTarget('switchyard', processes.switchyard),
    ...(processes.baseline ? { baseline: switchyardTarget('baseline', processes.baseline) } : {}),
  };
}
