/**
 * @module test/support/harness
 * Starts switchyard for end-to-end tests exactly as production assembles it (`createSwitchyard`), on a
 * real loopback socket, in front of the simulated upstreams, with an in-memory-like temp database and
 * a silent logger. Tests talk to it with the official `openai` SDK.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import OpenAI from 'openai';
import type { startAnthropicSimulator } from '../../bench/upstreams/anthropic/index.js';
import type { startGeminiSimulator } from '../../bench/upstreams/gemini/index.js';
import { type OllamaSimulator, startOllamaSimulator } from '../../bench/upstreams/ollama/index.js';
import { parseConfig } from '../../src/config/load-config.js';
import type { Config } from '../../src/config/schema.js';
import { silentLogger } from '../../src/log.js';
import { createSwitchyard, type Switchyard } from '../../src/switchyard.js';

export interface HarnessOptions {
  /** Raw config (YAML-shaped) merged under the harness's own settings. */
  config?: Record<string, unknown>;
  /** Start the cloud simulators and give switchyard their keys. */
  cloud?: boolean;
  speedFactor?: number;
  /** Extra environment for switchyard (overrides the harness's). */
  env?: Record<string, string | undefined>;
  /** The fetch switchyard uses for upstream calls (to observe what the upstreams answered). */
  fetch?: typeof fetch;
  /** A SQLite file to use (and keep on close) instead of a fresh temporary one, to test a restart. */
  databasePath?: string;
}

export interface Harness {
  url: string;
  baseURL: string;
  openai: OpenAI;
  switchyard: Switchyard;
  config: Config;
  ollama: OllamaSimulator;
  anthropic: Awaited<ReturnType<typeof startAnthropicSimulator>> | undefined;
  gemini: Awaited<ReturnType<typeof startGeminiSimulator>> | undefined;
  close(): Promise<void>;
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const speedFactor = options.speedFactor ?? 50;
  const ollama = await startOllamaSimulator({ port: 0, speedFactor, seed: 7 });
  // Loaded only when asked for, so Ollama-only suites do not depend on the cloud simulators.
  const anthropic = options.cloud
    ? await (await import('../../bench/upstreams/anthropic/index.js')).startAnthropicSimulator({
        port: 0,
        speedFactor,
        seed: 7,
      })
    : undefined;
  const gemini = options.cloud
    ? await (await import('../../bench/upstreams/gemini/index.js')).startGeminiSimulator({
        port: 0,
        speedFactor,
        seed: 7,
      })
    : undefined;
  const directory = mkdtempSync(join(tmpdir(), 'switchyard-test-'));
  const env: Record<string, string | undefined> = {
    OLLAMA_HOST: ollama.url,
    SWITCHYARD_DB: options.databasePath ?? join(directory, 'switchyard.db'),
    ...(anthropic ? { ANTHROPIC_API_KEY: anthropic.apiKey, ANTHROPIC_BASE_URL: anthropic.url } : {}),
    ...(gemini ? { GEMINI_API_KEY: gemini.apiKey, GEMINI_BASE_URL: gemini.url } : {}),
    ...options.env,
  };
  const config = parseConfig(
    {
      retry: { base_delay_ms: 5, max_delay_ms: 2000 },
      profiler: { system_sample_interval_ms: 0, flush_interval_ms: 50 },
      ...options.config,
    },
    env,
  );
  const switchyard = createSwitchyard({
    config,
    env,
    log: silentLogger,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  await switchyard.start();
  const server = serve({ fetch: switchyard.app.fetch, hostname: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;
  const baseURL = `${url}/v1`;
  return {
    url,
    baseURL,
    openai: new OpenAI({ apiKey: 'unused-by-switchyard', baseURL, maxRetries: 0 }),
    switchyard,
    config,
    ollama,
    anthropic,
    gemini,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        if ('closeAllConnections' in server) server.closeAllConnections();
      });
      await switchyard.close();
      await Promise.all([ollama.close(), anthropic?.close(), gemini?.close()]);
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

/** Parses a Prometheus text exposition into `name{labels} → value`. */
export function parsePrometheus(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    samples.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return samples;
}
