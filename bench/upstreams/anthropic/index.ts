/**
 * @module Entry point of the simulated Anthropic Messages API: tests, benchmarks and the CLI start it
 * here, point `@anthropic-ai/sdk` at `url` with `apiKey`, and steer it with `setFault` and the
 * `[sim:…]` directives.
 */
import { createRandom } from '../shared/seeded-random.js';
import { type SimulatorHandle, startSimulatorServer } from '../shared/simulator-server.js';
import { handleAnthropic } from './handle-messages.js';
import { type AnthropicModelProfile, DEFAULT_ANTHROPIC_MODELS } from './models.js';
import { AnthropicPromptCache } from './prompt-cache.js';

export type { SimulatorFault } from '../shared/faults.js';
export type { RecordedRequest } from '../shared/request-log.js';
export type { SimulatorHandle } from '../shared/simulator-server.js';
export { type AnthropicModelProfile, DEFAULT_ANTHROPIC_MODELS } from './models.js';

export interface AnthropicSimulatorOptions {
  /** Default `127.0.0.1`. */
  readonly host?: string;
  /** Default 0: a free port, read it from the handle. */
  readonly port?: number;
  /** The only accepted `x-api-key`; default `sim-anthropic-key`. */
  readonly apiKey?: string;
  /** Divides every simulated delay: 20 makes the simulator twenty times faster. Default 1. */
  readonly speedFactor?: number;
  /** Seeds content, ids and latency jitter. Default 1. */
  readonly seed?: number;
  /** Known models (anything else is a 404); replaces the defaults, so spread them to extend. */
  readonly models?: Readonly<Record<string, AnthropicModelProfile>>;
  /** Milliseconds clock for prompt-cache TTLs (default `Date.now`): tests expire entries with it. */
  readonly now?: () => number;
}

export type AnthropicSimulator = SimulatorHandle;

export function startAnthropicSimulator(
  options: AnthropicSimulatorOptions = {},
): Promise<AnthropicSimulator> {
  const apiKey = options.apiKey ?? 'sim-anthropic-key';
  const seed = options.seed ?? 1;
  const speedFactor = options.speedFactor ?? 1;
  const context = {
    apiKey,
    models: options.models ?? DEFAULT_ANTHROPIC_MODELS,
    speedFactor,
    seed,
    random: createRandom(seed),
    // Its TTLs scale with the speed factor like every simulated delay, so a fast bench sees expiry too.
    cache: new AnthropicPromptCache({ speedFactor, ...(options.now ? { now: options.now } : {}) }),
  };
  return startSimulatorServer({
    host: options.host ?? '127.0.0.1',
    port: options.port ?? 0,
    apiKey,
    handler: (exchange, faults) => handleAnthropic(exchange, faults, context),
  });
}
