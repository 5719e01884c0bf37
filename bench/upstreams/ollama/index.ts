/**
 * @module ollama-simulator
 * A simulated Ollama server speaking Ollama's native API (v0.12 wire format) with a seeded
 * performance model and fault injection, for tests and benchmarks that cannot rely on a real Ollama.
 */
export { defaultNumCtx, effectiveNumCtx } from './chat-handler.js';
export { defaultSimulatedModels } from './default-models.js';
export { type Directives, parseDirectives } from './directives.js';
export { parseFault } from './faults.js';
export { simulatedOllamaVersion } from './info-handlers.js';
export { defaultKeepAliveMs, parseKeepAlive } from './keep-alive.js';
export { normalizeModelName } from './model-catalog.js';
export {
  contextSlowdownTokens,
  decodeTimeMs,
  jitterAmplitude,
  jitterFactor,
  loadCostPerContextToken,
  loadTimeMs,
  type PredictedTimings,
  predictTimings,
  prefillTimeMs,
  type TimingInput,
} from './performance-model.js';
export { fitPromptTokens, imageTokens, renderPrompt } from './prompt-renderer.js';
export { startOllamaSimulator } from './server.js';
export { commonPrefixLength, countTokens, tokenize } from './tokenizer.js';
export type {
  FaultScope,
  OllamaSimulator,
  OllamaSimulatorOptions,
  RecordedRequest,
  SimulatedFault,
  SimulatedFaultKind,
  SimulatedModelSpec,
} from './types.js';
export type {
  WireChatRequest,
  WireChatResponse,
  WireMessage,
  WireMetrics,
  WireToolCall,
} from './wire-types.js';
