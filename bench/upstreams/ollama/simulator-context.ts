/**
 * @module simulator-context
 * The state one simulator instance shares between its handlers: models and their runtimes, the fault,
 * slowdowns, the seed and speed factor, and the request counter that keys jitter.
 */
import { FaultController } from './faults.js';
import { normalizeModelName } from './model-catalog.js';
import { ModelRuntime } from './model-scheduler.js';
import { jitterFactor } from './performance-model.js';
import type { SimulatedModelSpec } from './types.js';

export interface ModelEntry {
  spec: SimulatedModelSpec;
  runtime: ModelRuntime;
  /** Position in the catalogue; fixes the model's modified_at. */
  index: number;
}

export class SimulatorContext {
  readonly models = new Map<string, ModelEntry>();
  readonly faults = new FaultController();
  /** Aborted when the simulator closes, so every pending wait ends. */
  readonly shutdown = new AbortController();
  private readonly slowdowns = new Map<string, number>();
  private requestCounter = 0;
  private loadCounter = 0;

  constructor(
    specs: readonly SimulatedModelSpec[],
    readonly seed: number,
    readonly speedFactor: number,
  ) {
    specs.forEach((spec, index) => {
      const key = normalizeModelName(spec.name);
      const runtime = new ModelRuntime(spec, {
        speedFactor,
        slowdown: () => this.slowdownOf(spec.name),
        loadJitter: () => jitterFactor(seed, this.loadCounter++, 'load'),
      });
      this.models.set(key, { spec, runtime, index });
    });
  }

  findModel(name: string): ModelEntry | undefined {
    return this.models.get(normalizeModelName(name));
  }

  slowdownOf(name: string): number {
    return this.slowdowns.get(normalizeModelName(name)) ?? 1;
  }

  setSlowdown(name: string, factor: number): void {
    if (!(factor > 0) || !Number.isFinite(factor))
      throw new RangeError(`slowdown factor must be a positive number, got ${factor}`);
    this.slowdowns.set(normalizeModelName(name), factor);
  }

  /** Orders requests for jitter: the n-th chat request always gets the same jitter for a given seed. */
  nextRequestIndex(): number {
    return this.requestCounter++;
  }

  loadedEntries(): ModelEntry[] {
    return [...this.models.values()].filter((entry) => entry.runtime.loaded);
  }

  dispose(): void {
    this.shutdown.abort();
    for (const entry of this.models.values()) entry.runtime.dispose();
  }
}
