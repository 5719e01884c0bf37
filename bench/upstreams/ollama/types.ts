/**
 * @module types
 * The public contract of the Ollama simulator: model specs, faults, options and the handle returned by
 * `startOllamaSimulator`. Kept apart from the implementation so benchmarks can import types cheaply.
 */

/** One simulated local model: its catalogue entry and the numbers its performance model runs on. */
export interface SimulatedModelSpec {
  /** Full name with tag, as `ollama list` shows it, e.g. `qwen2.5-coder:7b`. */
  name: string;
  /** GGUF architecture family, e.g. `qwen2`, `llama`; also the `general.architecture` in /api/show. */
  family: string;
  /** As Ollama reports it, e.g. `7.6B`. */
  parameterSize: string;
  /** As Ollama reports it, e.g. `Q4_K_M`. */
  quantization: string;
  /** Size of the weights on disk, in bytes. */
  sizeBytes: number;
  /** Trained context length (`<arch>.context_length`); requests asking for more are capped to it. */
  contextLength: number;
  /** Time to load the weights when the model is cold, in unscaled milliseconds, before num_ctx overhead. */
  loadMs: number;
  /** Prompt evaluation rate at an empty context, tokens per second. */
  prefillTokensPerSecond: number;
  /** Generation rate at an empty context, tokens per second. */
  decodeTokensPerSecond: number;
  /** Parallel request slots (OLLAMA_NUM_PARALLEL); further requests wait in a FIFO queue. */
  parallel: number;
  /** As /api/show reports them; defaults to `["completion", "tools"]`. */
  capabilities?: string[];
}

/** Which requests a fault applies to: one model only (omit for all) and how many times (omit for always). */
export interface FaultScope {
  model?: string;
  times?: number;
}

/**
 * A failure to inject. Every kind but `refuse` applies to chat requests only, so health checks on
 * /api/tags or /api/version keep working; `refuse` without a model hits every non-control request.
 */
export type SimulatedFault =
  | { kind: 'none' }
  | ({ kind: 'refuse' } & FaultScope)
  | ({ kind: 'http-500'; message?: string } & FaultScope)
  | ({ kind: 'model-not-found' } & FaultScope)
  | ({ kind: 'cut-stream'; afterChunks: number } & FaultScope)
  | ({ kind: 'stall'; ms: number } & FaultScope)
  | ({ kind: 'malformed-line'; afterChunks?: number } & FaultScope)
  | ({ kind: 'error-line'; afterChunks?: number; message?: string } & FaultScope);

export type SimulatedFaultKind = SimulatedFault['kind'];

export interface OllamaSimulatorOptions {
  /** Defaults to 127.0.0.1. */
  host?: string;
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Defaults to `defaultSimulatedModels`. */
  models?: SimulatedModelSpec[];
  /**
   * Divides every simulated duration (load, prefill, decode, keep-alive expiry): 20 runs twenty times
   * faster. Reported durations stay equal to the time really waited. Defaults to 1.
   */
  speedFactor?: number;
  /** Seeds generated text, lengths and jitter. Defaults to 1. */
  seed?: number;
}

/** One request the simulator received on an Ollama endpoint (control endpoints are not recorded). */
export interface RecordedRequest {
  method: string;
  path: string;
  /** Parsed JSON body; the raw text when it was not JSON; null when empty. */
  body: unknown;
  /** Epoch milliseconds. */
  receivedAt: number;
  /** For /api/chat: the final (`done: true`) chunk as sent, timings included; absent if none was sent. */
  final?: unknown;
}

/** A running simulator. */
export interface OllamaSimulator {
  /** Base URL, e.g. `http://127.0.0.1:40123`, for OLLAMA_HOST or `new Ollama({ host })`. */
  url: string;
  port: number;
  close(): Promise<void>;
  /** Sets (or, with null / `{kind:"none"}`, clears) the fault; replaces any previous one. */
  setFault(fault: SimulatedFault | null): void;
  /** Makes a model `factor` times slower (load, prefill and decode) from its next phase on; 1 restores it. */
  setSlowdown(model: string, factor: number): void;
  readonly requests: ReadonlyArray<RecordedRequest>;
  clearRequests(): void;
  /** Client connections that closed before their response ended (faults the simulator injected excluded). */
  readonly abortedRequests: number;
  /** Names of the models currently loaded, as /api/ps lists them. */
  loadedModels(): string[];
}
