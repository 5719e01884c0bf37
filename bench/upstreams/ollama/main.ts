/**
 * @module main
 * Command line for the simulator, for manual runs and for benchmarks that want it in its own process:
 * `tsx bench/upstreams/ollama/main.ts --port 11434 --speed 1 --seed 1`.
 */
import { parseArgs } from 'node:util';
import { startOllamaSimulator } from './server.js';

const { values } = parseArgs({
  options: {
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', default: '11434' },
    speed: { type: 'string', default: '1' },
    seed: { type: 'string', default: '1' },
    help: { type: 'boolean', default: false },
  },
});

if (values.help) {
  console.log(
    'usage: tsx bench/upstreams/ollama/main.ts [--host 127.0.0.1] [--port 11434] [--speed 1] [--seed 1]',
  );
  process.exit(0);
}

const numbers = { port: Number(values.port), speed: Number(values.speed), seed: Number(values.seed) };
for (const [name, value] of Object.entries(numbers)) {
  if (!Number.isFinite(value)) {
    console.error(`--${name} must be a number, got ${JSON.stringify(values[name as keyof typeof values])}`);
    process.exit(2);
  }
}

const simulator = await startOllamaSimulator({
  host: values.host,
  port: numbers.port,
  speedFactor: numbers.speed,
  seed: numbers.seed,
});
console.log(simulator.url);

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await simulator.close();
  process.exit(0);
}
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
