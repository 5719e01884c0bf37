/**
 * @module bench/demo
 * `npm run demo`: switchyard in front of simulated Ollama, Anthropic and Gemini, all in this process,
 * at real-time speed, so anyone can try it with curl or an SDK without Ollama, a GPU or cloud keys.
 * Nothing leaves the machine: the cloud "keys" are the simulators' own. The simulators take their
 * usual ports (11434, 4101, 4102) when free and any free port otherwise, so a real Ollama can keep
 * running beside the demo; switchyard listens on PORT (default 4000). Ctrl-C or SIGTERM stops it all
 * (SIGTERM to this process: `npm` does not pass a SIGTERM sent to it on to its script).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import { loadConfig } from '../src/config/load-config.js';
import { createLogger } from '../src/log.js';
import { createSwitchyard } from '../src/switchyard.js';
import { startAnthropicSimulator } from './upstreams/anthropic/index.js';
import { startGeminiSimulator } from './upstreams/gemini/index.js';
import { defaultSimulatedModels, startOllamaSimulator } from './upstreams/ollama/index.js';

/** Real-time latencies: cold loads, prefill and decode rates as on a laptop GPU, cloud TTFTs as observed. */
const speedFactor = 1;
const host = '127.0.0.1';

const log = createLogger('info');

/** Starts on `preferred`, or on a free port when something else already listens there. */
async function onPreferredPort<T>(preferred: number, start: (port: number) => Promise<T>): Promise<T> {
  try {
    return await start(preferred);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    return start(0);
  }
}

function listen(fetch: (request: Request) => Response | Promise<Response>, port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch, hostname: host, port }) as Server;
    server.once('error', reject);
    server.once('listening', () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

/** What has been started so far, stopped in reverse order: a Ctrl-C during start-up cleans up too. */
const cleanups: Array<() => Promise<void> | void> = [];
let stopping = false;

async function stop(signal: string): Promise<void> {
  // A second Ctrl-C: the user does not want to wait for anything.
  if (stopping) process.exit(1);
  stopping = true;
  log('info', `${signal} received: stopping switchyard and the simulators`);
  for (const cleanup of cleanups.reverse()) await cleanup();
  log('info', 'demo stopped');
  process.exit(0);
}

async function main(): Promise<void> {
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));

  const [ollama, anthropic, gemini] = await Promise.all([
    onPreferredPort(11434, (port) => startOllamaSimulator({ host, port, speedFactor, seed: 1 })),
    onPreferredPort(4101, (port) => startAnthropicSimulator({ host, port, speedFactor, seed: 1 })),
    onPreferredPort(4102, (port) => startGeminiSimulator({ host, port, speedFactor, seed: 1 })),
  ]);
  cleanups.push(() => Promise.all([ollama.close(), anthropic.close(), gemini.close()]).then(() => undefined));
  const directory = mkdtempSync(join(tmpdir(), 'switchyard-demo-'));
  cleanups.push(() => rmSync(directory, { recursive: true, force: true }));
  const database = join(directory, 'switchyard.db');
  const requestedPort = process.env.PORT;

  // Built from scratch rather than from process.env, so real cloud keys never reach the demo.
  const env: Record<string, string | undefined> = {
    OLLAMA_HOST: ollama.url,
    ANTHROPIC_API_KEY: anthropic.apiKey,
    ANTHROPIC_BASE_URL: anthropic.url,
    GEMINI_API_KEY: gemini.apiKey,
    GEMINI_BASE_URL: gemini.url,
    SWITCHYARD_DB: database,
    HOST: host,
    PORT: requestedPort ?? '4000',
  };
  const config = loadConfig({ env });
  const switchyard = createSwitchyard({ config, env, log });
  cleanups.push(() => switchyard.close());
  await switchyard.start();

  let server: Server;
  try {
    // An explicit PORT is a promise to the user: fail loudly rather than move. The default may move.
    server =
      requestedPort !== undefined
        ? await listen(switchyard.app.fetch, config.server.port)
        : await onPreferredPort(config.server.port, (port) => listen(switchyard.app.fetch, port));
  } catch (error) {
    log(
      'error',
      `cannot listen on ${host}:${config.server.port}: ${(error as Error).message} — set PORT to a free port.`,
    );
    for (const cleanup of cleanups.reverse()) await cleanup();
    process.exit(1);
  }
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        // Streams still running get two seconds, then their connections are closed.
        setTimeout(() => server.closeAllConnections(), 2000).unref();
      }),
  );
  const port = (server.address() as AddressInfo).port;
  if (stopping) return;

  process.stdout.write(
    banner({
      url: `http://${host}:${port}`,
      ollama: ollama.url,
      anthropic: anthropic.url,
      gemini: gemini.url,
      database,
      moved: [
        ...(ollama.port !== 11434
          ? ['11434 is taken (a real Ollama?), so the simulated Ollama took a free port']
          : []),
        ...(anthropic.port !== 4101 ? ['4101 is taken, so the simulated Anthropic took a free port'] : []),
        ...(gemini.port !== 4102 ? ['4102 is taken, so the simulated Gemini took a free port'] : []),
        ...(port !== config.server.port
          ? [`${config.server.port} is taken, so switchyard took a free port (set PORT to choose)`]
          : []),
      ],
      cloudModels: {
        anthropic: config.anthropic.models.map((model) => model.name),
        gemini: config.gemini.models.map((model) => model.name),
      },
    }),
  );
}

interface BannerInput {
  url: string;
  ollama: string;
  anthropic: string;
  gemini: string;
  database: string;
  /** Usual ports that were taken, as sentences. */
  moved: string[];
  /** The cloud models switchyard offers (its config); the simulators serve a few more. */
  cloudModels: { anthropic: string[]; gemini: string[] };
}

function banner({ url, ollama, anthropic, gemini, database, moved, cloudModels }: BannerInput): string {
  const post = (path: string, body: unknown, flags = '-s') =>
    `curl ${flags} ${url}${path} -H 'content-type: application/json' \\\n    -d '${JSON.stringify(body)}'`;
  const user = (content: string) => [{ role: 'user', content }];
  const weatherTool = {
    type: 'function',
    function: {
      name: 'get_weather',
      description: 'Current weather for a city',
      parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
    },
  };
  const ollamaModels = defaultSimulatedModels.map((model) => model.name).join(', ');
  const claudeModels = cloudModels.anthropic.join(', ');
  const geminiModels = cloudModels.gemini.join(', ');
  return `
switchyard demo: the real proxy in front of simulated upstreams (real-time speed, nothing leaves this machine)

  switchyard        ${url}/v1
  Ollama (sim)      ${ollama}   ${ollamaModels}
  Anthropic (sim)   ${anthropic}   ${claudeModels}
  Gemini (sim)      ${gemini}   ${geminiModels}
  database          ${database} (removed on exit)
${moved.map((note) => `  note: ${note}\n`).join('')}
Try:

  # a plain completion from a local model (the first one loads it: a few seconds, as with Ollama)
  ${post('/v1/chat/completions', { model: 'ollama/qwen2.5-coder:7b', messages: user('Write a haiku about rail yards.') })}

  # streamed, from Claude
  ${post('/v1/chat/completions', { model: 'anthropic/claude-haiku-4-5', stream: true, messages: user('Explain backpressure in two sentences.') }, '-N')}

  # let switchyard decide: -i shows the x-switchyard-route, -provider, -model, -reason and -predicted-ms headers
  ${post('/v1/chat/completions', { model: 'auto', messages: user('Rename the variable x to count in: let x = 0; x++;') }, '-i')}

  # a tool call (the simulated model calls the tool when asked to)
  ${post('/v1/chat/completions', { model: 'gemini/gemini-2.5-flash', messages: user('What is the weather in Paris? Use the tool.'), tools: [weatherTool] })}

  # what auto would do for a request, and why, without calling any model
  ${post('/v1/route/explain', { model: 'auto', messages: user('Refactor this module into smaller functions.') })}

  # readiness of each upstream, and the Prometheus metrics
  curl -s ${url}/health
  curl -s ${url}/metrics | grep '^switchyard_'

  # the OpenAI SDK (Node): any OpenAI-compatible tool works the same way, with its base URL set
  import OpenAI from 'openai';
  const openai = new OpenAI({ baseURL: '${url}/v1', apiKey: 'unused' });
  const completion = await openai.chat.completions.create({
    model: 'auto',
    messages: [{ role: 'user', content: 'Hello!' }],
  });

Steer the simulated models from a message: [sim:tokens=N] (exact length), [sim:tool], [sim:json].
Logs (JSON lines) go to stderr. Ctrl-C stops everything.

`;
}

main().catch((error: unknown) => {
  log('error', error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exit(1);
});
