/**
 * @module test/contract/adapters
 * The three adapters as the contract suite sees them: which model id to ask for, how to reach that
 * adapter's simulator (faults, recorded requests) in a harness, how its upstream spells an image, and
 * which contract cases do not apply to it, each with the reason. Everything provider-specific in the
 * contract suite lives in this table, so the suite itself never branches on a provider's name.
 */
import type { Harness } from '../support/harness.js';

/** A failure to inject, in neutral terms; each adapter's entry maps it onto its simulator's own fault. */
export type ContractFault =
  | { kind: 'http-500'; times?: number }
  | { kind: 'rate-limit'; retryAfterSeconds: number; times?: number }
  | { kind: 'overloaded'; times?: number }
  /** Cut the connection after this many upstream stream units (NDJSON lines, SSE events or chunks). */
  | { kind: 'cut-stream'; after: number; times?: number }
  | { kind: 'stall'; ms: number; times?: number }
  /** The upstream's own in-stream error (an NDJSON error line, an SSE error event or error chunk). */
  | { kind: 'error-event'; after: number; times?: number };

/** One request an upstream simulator received. */
export interface UpstreamRequest {
  path: string;
  body: unknown;
  headers?: Readonly<Record<string, string>>;
}

/** The simulator behind one adapter, reduced to what the contract needs. */
export interface ContractUpstream {
  setFault(fault: ContractFault | null): void;
  clearRequests(): void;
  /** Generation calls only (not model listings or metadata). */
  generationRequests(): UpstreamRequest[];
  /** Requests whose client (switchyard) went away before the answer was complete. */
  abortedRequests(): number;
}

/** Why a contract case does not apply to an adapter; absent = it applies. */
export interface Skips {
  rateLimit?: string;
  overloaded?: string;
  authentication?: string;
  missingKey?: string;
  cachedTokens?: string;
  cutBeforeContent?: string;
}

export interface ContractAdapter {
  /** The prefix of model ids, and the `provider` column / metric label. */
  provider: string;
  /** The model id a client sends. */
  model: string;
  /** The same model as the upstream names it (the profile's `model` column). */
  upstreamModel: string;
  locality: 'local' | 'cloud';
  /** A model id of this provider that its upstream does not serve. */
  unknownModel: string;
  /** The variable holding the API key (cloud only). */
  keyVariable?: string;
  /** The request header the upstream SDK carries the key in (cloud only; the simulators redact it). */
  credentialHeader?: string;
  /** Upstream stream units to let through before a cut, so that some text already reached the client. */
  cutAfter: number;
  /** Upstream stream units to let through before a cut that no content event has come out of yet. */
  cutBeforeContent?: number;
  /** Whether completions are priced (cloud); local ones cost nothing and record no cost. */
  priced: boolean;
  upstream(harness: Harness): ContractUpstream;
  /** The base64 data of every image in a generation request, as the upstream's own wire format holds it. */
  imagesIn(body: unknown): Array<{ data: string; mediaType?: string }>;
  skips: Skips;
}

type Json = Record<string, unknown>;
const objects = (value: unknown): Json[] =>
  Array.isArray(value) ? value.filter((item): item is Json => typeof item === 'object' && item !== null) : [];

function ollamaFault(fault: ContractFault | null) {
  if (fault === null) return null;
  const scope = fault.times !== undefined ? { times: fault.times } : {};
  switch (fault.kind) {
    case 'http-500':
      return { kind: 'http-500' as const, ...scope };
    case 'cut-stream':
      return { kind: 'cut-stream' as const, afterChunks: fault.after, ...scope };
    case 'stall':
      return { kind: 'stall' as const, ms: fault.ms, ...scope };
    case 'error-event':
      return { kind: 'error-line' as const, afterChunks: fault.after, ...scope };
    default:
      throw new Error(`the Ollama simulator has no ${fault.kind} fault`);
  }
}

function cloudFault(fault: ContractFault | null) {
  if (fault === null) return null;
  const scope = fault.times !== undefined ? { times: fault.times } : {};
  switch (fault.kind) {
    case 'cut-stream':
      return { kind: 'cut-stream' as const, afterEvents: fault.after, ...scope };
    case 'rate-limit':
      return { kind: 'rate-limit' as const, retryAfterSeconds: fault.retryAfterSeconds, ...scope };
    case 'stall':
      return { kind: 'stall' as const, ms: fault.ms, ...scope };
    case 'error-event':
      return { kind: 'error-event' as const, afterEvents: fault.after, ...scope };
    default:
      return { kind: fault.kind, ...scope };
  }
}

function cloudUpstream(
  simulator: Harness['anthropic'],
  isGeneration: (path: string) => boolean,
): ContractUpstream {
  if (!simulator)
    throw new Error('this harness runs without the cloud simulators (startHarness({ cloud: true }))');
  return {
    setFault: (fault) => simulator.setFault(cloudFault(fault)),
    clearRequests: () => simulator.clearRequests(),
    generationRequests: () => simulator.requests.filter((request) => isGeneration(request.path)),
    abortedRequests: () => simulator.abortedRequests,
  };
}

const ollama: ContractAdapter = {
  provider: 'ollama',
  model: 'ollama/qwen2.5-coder:7b',
  upstreamModel: 'qwen2.5-coder:7b',
  locality: 'local',
  unknownModel: 'ollama/no-such-model:1b',
  cutAfter: 3,
  priced: false,
  upstream: (harness) => ({
    setFault: (fault) => harness.ollama.setFault(ollamaFault(fault)),
    clearRequests: () => harness.ollama.clearRequests(),
    generationRequests: () => harness.ollama.requests.filter((request) => request.path === '/api/chat'),
    abortedRequests: () => harness.ollama.abortedRequests,
  }),
  // Ollama takes images as bare base64 strings on the message.
  imagesIn: (body) =>
    objects((body as Json).messages).flatMap((message) =>
      (Array.isArray(message.images) ? message.images : []).map((data) => ({ data: String(data) })),
    ),
  skips: {
    rateLimit: 'Ollama has no rate limits: it queues requests and never answers 429',
    overloaded:
      'the Ollama simulator has no overload fault (a real Ollama 503 "server busy" is mapped to overloaded in providers/ollama/errors.ts)',
    authentication: 'Ollama has no API key, so there is nothing to reject',
    missingKey:
      'Ollama needs no key; its "not configured" case is "not running", covered in e2e/gateway-errors-upstream',
    cachedTokens:
      "Ollama's /api/chat reports no cached-token count (its prefix cache only shows as a faster prefill)",
    cutBeforeContent:
      'Ollama sends its status line with the first NDJSON line, so a cut before it is a reset connection with no response, which the adapter reports as unreachable (503, not retried)',
  },
};

const anthropic: ContractAdapter = {
  provider: 'anthropic',
  model: 'anthropic/claude-haiku-4-5',
  upstreamModel: 'claude-haiku-4-5',
  locality: 'cloud',
  unknownModel: 'anthropic/claude-no-such-model',
  keyVariable: 'ANTHROPIC_API_KEY',
  // SDK 1.x sends `Authorization: Bearer <key>`, not the `x-api-key` of Anthropic's curl examples.
  credentialHeader: 'authorization',
  // message_start, content_block_start, ping, then text deltas: 6 lets three text deltas through.
  cutAfter: 6,
  // message_start and content_block_start carry no content.
  cutBeforeContent: 2,
  priced: true,
  upstream: (harness) => cloudUpstream(harness.anthropic, (path) => path.startsWith('/v1/messages')),
  // Claude takes images as `image` content blocks with a base64 source.
  imagesIn: (body) =>
    objects((body as Json).messages).flatMap((message) =>
      objects(message.content)
        .filter((block) => block.type === 'image')
        .map((block) => {
          const source = block.source as Json;
          return { data: String(source.data), mediaType: String(source.media_type) };
        }),
    ),
  skips: {},
};

const gemini: ContractAdapter = {
  provider: 'gemini',
  model: 'gemini/gemini-2.5-flash',
  upstreamModel: 'gemini-2.5-flash',
  locality: 'cloud',
  unknownModel: 'gemini/gemini-no-such-model',
  keyVariable: 'GEMINI_API_KEY',
  credentialHeader: 'x-goog-api-key',
  // Chunks of 24 tokens: up to 3 thought-summary chunks (24-64 thinking tokens) come first, so 5 lets
  // at least two text chunks through.
  cutAfter: 5,
  // Every chunk carries content (thought summaries included), so only a cut before the first one.
  cutBeforeContent: 0,
  priced: true,
  upstream: (harness) => cloudUpstream(harness.gemini, (path) => /:(stream)?generateContent\b/i.test(path)),
  // Gemini takes images as `inlineData` parts.
  imagesIn: (body) =>
    objects((body as Json).contents).flatMap((content) =>
      objects(content.parts)
        .filter((part) => typeof part.inlineData === 'object' && part.inlineData !== null)
        .map((part) => {
          const inline = part.inlineData as Json;
          return { data: String(inline.data), mediaType: String(inline.mimeType) };
        }),
    ),
  skips: {},
};

/** Every adapter the contract runs against, in the registry's order. */
export const contractAdapters: readonly ContractAdapter[] = [ollama, anthropic, gemini];
