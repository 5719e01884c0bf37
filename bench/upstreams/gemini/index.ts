/**
 * @module Entry point of the simulated Gemini API (Generative Language v1beta): tests, benchmarks and the
 * CLI start it here, point `@google/genai` at `url` (as `httpOptions.baseUrl`) with `apiKey`, and steer
 * it with `setFault` and the `[sim:…]` directives.
 */
import { PromptCache } from '../shared/prompt-cache.js';
import { createRandom } from '../shared/seeded-random.js';
import { type SimulatorHandle, startSimulatorServer } from '../shared/simulator-server.js';
import { handleGemini } from './handle-generate.js';
import { DEFAULT_GEMINI_MODELS, type GeminiModelProfile } from './models.js';

export type { SimulatorFault } from '../shared/faults.js';
export type { RecordedRequest } from '../shared/request-log.js';
export type { SimulatorHandle } from '../shared/simulator-server.js';
export { DEFAULT_GEMINI_MODELS, type GeminiModelProfile } from './models.js';

export interface GeminiSimulatorOptions {
  /** Default `127.0.0.1`. */
  readonly host?: string;
  /** Default 0: a free port, read it from the handle. */
  readonly port?: number;
  /** The only accepted key (`x-goog-api-key` header or `?key=`); default `sim-gemini-key`. */
  readonly apiKey?: string;
  /** Divides every simulated delay: 20 makes the simulator twenty times faster. Default 1. */
  readonly speedFactor?: number;
  /** Seeds content, ids and latency jitter. Default 1. */
  readonly seed?: number;
  /** Known models (anything else is a 404); replaces the defaults, so spread them to extend. */
  readonly models?: Readonly<Record<string, GeminiModelProfile>>;
}

export type GeminiSimulator = SimulatorHandle;

export function startGeminiSimulator(options: GeminiSimulatorOptions = {}): Promise<GeminiSimulator> {
  const apiKey = options.apiKey ?? 'sim-gemini-key';
  const seed = options.seed ?? 1;
  const context = {
    apiKey,
    models: options.models ?? DEFAULT_GEMINI_MODELS,
    speedFactor: options.speedFactor ?? 1,
    seed,
    random: createRandom(seed),
    cache: new PromptCache(),
  };
  return startSimulatorServer({
    host: options.host ?? '127.0.0.1',
    port: options.port ?? 0,
    apiKey,
    handler: (exchange, faults) => handleGemini(exchange, faults, context),
  });
}
