/**
 * @module The Gemini models the simulator knows, with timing, thinking behaviour and limits. Gemini 2.5
 * models think before answering and those thoughts count against `maxOutputTokens`, a quirk the adapter
 * must survive, so it is modelled here; unknown ids get the API's 404.
 */
import type { LatencyProfile } from '../shared/latency.js';

export interface GeminiModelProfile extends LatencyProfile {
  readonly displayName: string;
  readonly version: string;
  readonly inputTokenLimit: number;
  readonly outputTokenLimit: number;
  /** Thought tokens generated when the request leaves the budget to the model; [0, 0] = no thinking. */
  readonly defaultThoughtTokens: readonly [number, number];
  /** `thinkingBudget: 0` turns thinking off (2.5 Pro rejects it). */
  readonly canDisableThinking: boolean;
  /** Visible tokens per streamed chunk: the service flushes in batches, not token by token. */
  readonly tokensPerChunk: number;
  /** Shortest prefix implicit caching reports as `cachedContentTokenCount`. */
  readonly minCacheableTokens: number;
}

const LIMITS = { version: '001', inputTokenLimit: 1_048_576, outputTokenLimit: 65_536 } as const;

export const DEFAULT_GEMINI_MODELS: Readonly<Record<string, GeminiModelProfile>> = {
  'gemini-2.5-flash': {
    ...LIMITS,
    displayName: 'Gemini 2.5 Flash',
    ttftMs: 350,
    tokensPerSecond: 200,
    defaultThoughtTokens: [24, 64],
    canDisableThinking: true,
    tokensPerChunk: 24,
    minCacheableTokens: 1024,
  },
  'gemini-2.5-pro': {
    ...LIMITS,
    displayName: 'Gemini 2.5 Pro',
    ttftMs: 900,
    tokensPerSecond: 90,
    defaultThoughtTokens: [64, 128],
    canDisableThinking: false,
    tokensPerChunk: 24,
    minCacheableTokens: 4096,
  },
  'gemini-2.5-flash-lite': {
    ...LIMITS,
    displayName: 'Gemini 2.5 Flash-Lite',
    ttftMs: 250,
    tokensPerSecond: 350,
    defaultThoughtTokens: [0, 0],
    canDisableThinking: true,
    tokensPerChunk: 24,
    minCacheableTokens: 1024,
  },
};

/** One `Model` resource as `GET /v1beta/models` returns it. */
export function modelResource(id: string, profile: GeminiModelProfile): Record<string, unknown> {
  return {
    name: `models/${id}`,
    version: profile.version,
    displayName: profile.displayName,
    description: `Simulated ${profile.displayName}`,
    inputTokenLimit: profile.inputTokenLimit,
    outputTokenLimit: profile.outputTokenLimit,
    supportedGenerationMethods: [
      'generateContent',
      'countTokens',
      'createCachedContent',
      'batchGenerateContent',
    ],
    temperature: 1,
    topP: 0.95,
    topK: 64,
    maxTemperature: 2,
    thinking: true,
  };
}

export function modelListBody(models: Readonly<Record<string, GeminiModelProfile>>): unknown {
  return { models: Object.entries(models).map(([id, profile]) => modelResource(id, profile)) };
}
