/**
 * @module bench/routing/environment
 * One fresh environment per strategy: a simulated Ollama and a simulated Anthropic (new state, same
 * seeds), and switchyard assembled exactly as the server does (`createSwitchyard`) with a new database
 * in a temporary directory, on a loopback socket. Every time in the config that stands for wall-clock
 * time on a real machine (deadlines, keep-alive, polling) is divided by the speed factor, as the
 * simulators divide theirs.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import { parseConfig } from '../../src/config/load-config.js';
import type { Config } from '../../src/config/schema.js';
import type { StoredCompletion } from '../../src/db/profile-repository.js';
import { silentLogger } from '../../src/log.js';
import { createSwitchyard, type Switchyard } from '../../src/switchyard.js';
import { type AnthropicSimulator, startAnthropicSimulator } from '../upstreams/anthropic/index.js';
import { type OllamaSimulator, startOllamaSimulator } from '../upstreams/ollama/index.js';
import { createRandom } from '../upstreams/shared/seeded-random.js';

export const localModel = 'qwen2.5-coder:7b';
export const cloudModel = 'claude-sonnet-5-5';

/** Settings shared by the environment, the oracle and the report (simulated ms unless said otherwise). */
export interface BenchTiming {
  speed: number;
  /** Ollama keep_alive, simulated ms. */
  keepAliveMs: number;
  /** routing.ttft_deadline_ms before scaling. */
  ttftDeadlineMs: number;
  /** routing.total_deadline_ms before scaling (requests carry their own deadline header). */
  totalDeadlineMs: number;
  /** routing.poll_interval_ms before scaling. */
  pollIntervalMs: number;
}

export interface Environment {
  url: string;
  ollama: OllamaSimulator;
  anthropic: AnthropicSimulator;
  switchyard: Switchyard;
  config: Config;
  /** Every profile row, after the profiler's last flush (call after the workload). */
  completions(): Promise<StoredCompletion[]>;
  close(): Promise<void>;
}

export interface EnvironmentOptions {
  timing: BenchTiming;
  seed: number;
  /** Routing settings to override (for tuning experiments: `--routing '{"deadline_quantile":0.9}'`). */
  routing?: Record<string, unknown>;
}

export async function startEnvironment(options: EnvironmentOptions): Promise<Environment> {
  const { timing, seed } = options;
  const scaled = (ms: number) => Math.max(1, Math.round(ms / timing.speed));
  const ollama = await startOllamaSimulator({ host: '127.0.0.1', port: 0, speedFactor: timing.speed, seed });
  const anthropic = await startAnthropicSimulator({
    host: '127.0.0.1',
    port: 0,
    speedFactor: timing.speed,
    seed,
  });
  const directory = mkdtempSync(join(tmpdir(), 'switchyard-routing-bench-'));
  const env: Record<string, string | undefined> = {
    OLLAMA_HOST: ollama.url,
    ANTHROPIC_API_KEY: anthropic.apiKey,
    ANTHROPIC_BASE_URL: anthropic.url,
  };
  const config = parseConfig(
    {
      database: { path: join(directory, 'switchyard.db') },
      // keep_alive is sent to Ollama, which scales it like every other simulated duration.
      ollama: { keep_alive: `${Math.round(timing.keepAliveMs / 1000)}s` },
      routing: {
        local_models: [`ollama/${localModel}`],
        cloud_models: [`anthropic/${cloudModel}`],
        ttft_deadline_ms: scaled(timing.ttftDeadlineMs),
        total_deadline_ms: scaled(timing.totalDeadlineMs),
        poll_interval_ms: scaled(timing.pollIntervalMs),
        // The machine runs Ollama with OLLAMA_NUM_PARALLEL=2, and its owner says so.
        local_parallel_slots: 2,
        circuit_breaker: { cooldown_ms: scaled(30_000) },
        ...options.routing,
      },
      retry: { base_delay_ms: scaled(250), max_delay_ms: scaled(8000) },
      profiler: { system_sample_interval_ms: 0, flush_interval_ms: 200 },
    },
    env,
  );
  const switchyard = createSwitchyard({
    config,
    env,
    log: silentLogger,
    random: createRandom(seed ^ 0x5eed),
  });
  await switchyard.start();
  const server = serve({ fetch: switchyard.app.fetch, hostname: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  let closed = false;
  return {
    url: `http://127.0.0.1:${port}`,
    ollama,
    anthropic,
    switchyard,
    config,
    async completions() {
      // The profiler writes in batches: wait for the last one.
      await new Promise((resolve) => setTimeout(resolve, config.profiler.flush_interval_ms * 3));
      return switchyard.repository.listCompletions();
    },
    async close() {
      if (closed) return;
      closed = true;
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        if ('closeAllConnections' in server) server.closeAllConnections();
      });
      await switchyard.close();
      await Promise.all([ollama.close(), anthropic.close()]);
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
