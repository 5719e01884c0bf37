/**
 * @module CLI for the simulated Anthropic API: `tsx bench/upstreams/anthropic/main.ts --port 4101`.
 */
import { runSimulatorCli } from '../shared/run-cli.js';
import { startAnthropicSimulator } from './index.js';

await runSimulatorCli('Anthropic', 4101, (options) =>
  startAnthropicSimulator({ ...options, apiKey: options.apiKey ?? 'sim-anthropic-key' }),
);
