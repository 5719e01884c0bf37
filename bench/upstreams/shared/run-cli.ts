/**
 * @module The command line both simulators share (`tsx bench/upstreams/<provider>/main.ts --port 4101`),
 * so a developer can point switchyard, curl or an SDK at a simulated provider by hand.
 */
import { parseArgs } from 'node:util';
import type { SimulatorHandle } from './simulator-server.js';

export interface CliStartOptions {
  readonly host: string;
  readonly port: number;
  readonly apiKey: string | undefined;
  readonly speedFactor: number;
  readonly seed: number;
}

export async function runSimulatorCli(
  name: string,
  defaultPort: number,
  start: (options: CliStartOptions) => Promise<SimulatorHandle>,
): Promise<void> {
  const { values } = parseArgs({
    options: {
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: String(defaultPort) },
      key: { type: 'string' },
      speed: { type: 'string', default: '1' },
      seed: { type: 'string', default: '1' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(
      `Simulated ${name} API\n\nOptions: --host 127.0.0.1 --port ${defaultPort} --key <api key> --speed 1 --seed 1`,
    );
    return;
  }
  const simulator = await start({
    host: values.host,
    port: Number(values.port),
    apiKey: values.key,
    speedFactor: Number(values.speed),
    seed: Number(values.seed),
  });
  console.log(`Simulated ${name} API listening on ${simulator.url} (API key: ${simulator.apiKey})`);
  console.log(`Faults: POST ${simulator.url}/__sim/fault   Requests: GET ${simulator.url}/__sim/requests`);
  const stop = () => {
    simulator.close().finally(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
