/**
 * @module bench/overhead/simulator-process
 * The simulated Ollama in its own process for the overhead benchmark. Unlike the simulator's own CLI it
 * gives every model as many parallel slots as the benchmark has clients (`--parallel`), so that at
 * concurrency 32 the numbers measure the proxies, not the simulator's request queue, and it exits when
 * the benchmark that spawned it (over IPC) goes away.
 *
 * `tsx bench/overhead/simulator-process.ts --speed 1000 --parallel 64`; prints its URL.
 */
import { parseArgs } from 'node:util';
import { defaultSimulatedModels, startOllamaSimulator } from '../upstreams/ollama/index.js';

const { values } = parseArgs({
  options: {
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', default: '0' },
    speed: { type: 'string', default: '1000' },
    parallel: { type: 'string', default: '64' },
    seed: { type: 'string', default: '1' },
  },
});

const parallel = Number(values.parallel);
const simulator = await startOllamaSimulator({
  host: values.host,
  port: Number(values.port),
  speedFactor: Number(values.speed),
  seed: Number(values.seed),
  models: defaultSimulatedModels.map((model) => ({ ...model, parallel })),
});
console.log(simulator.url);

const stop = () => void simulator.close().finally(() => process.exit(0));
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
process.once('disconnect', stop);
