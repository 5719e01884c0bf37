/**
 * @module CLI for the simulated Gemini API: `tsx bench/upstreams/gemini/main.ts --port 4102`.
 */
import { runSimulatorCli } from '../shared/run-cli.js';
import { startGeminiSimulator } from './index.js';

await runSimulatorCli('Gemini', 4102, (options) =>
  startGeminiSimulator({ ...options, apiKey: options.apiKey ?? 'sim-gemini-key' }),
);
