/**
 * @module bench/cloud-overhead/simulator-process
 * A simulated cloud API (Anthropic or Gemini) in its own process for the cloud-overhead benchmark: prints
 * its URL as the first stdout line (unlike the simulators' own CLI) and exits when the benchmark that
 * spawned it (over IPC) goes away.
 *
 * `tsx bench/cloud-overhead/simulator-process.ts --provider anthropic|gemini --speed 10000 --key <key>`.
 */
import { parseArgs } from 'node:util';
import { startAnthropicSimulator } from '../upstreams/anthropic/index.js';
import { startGeminiSimulator } from '../upstreams/gemini/index.js';

const { values } = parseArgs({
  options: {
    provider: { type: 'string', default: 'anthropic' },
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', default: '0' },
    speed: { type: 'string', default: '10000' },
    key: { type: 'string' },
    seed: { type: 'string', default: '1' },
  },
});

const options = {
  host: values.host,
  port: Number(values.port),
  speedFactor: Number(values.speed),
  seed: Number(values.seed),
  ...(values.key !== undefined ? { apiKey: values.key } : {}),
};
const simulator =
  values.provider === 'gemini' ? await startGeminiSimulator(options) : await startAnthropicSimulator(options);
console.log(simulator.url);

const stop = () => void simulator.close().finally(() => process.exit(0));
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
process.once('disconnect', stop);
